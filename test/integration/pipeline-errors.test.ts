// Extended-protocol pipelines that fail halfway, driven byte by byte so the timing is the test's:
// after an error the server answers nothing but the next Sync, including for messages the client
// sends only once the error has reached it (psycopg's pipeline mode can do this).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFields, extendedQueryMessages, flushMessage, queryMessage, RawConnection, syncMessage } from '../support/raw-wire.js';
import { describeTargets } from '../support/targets.js';

describeTargets('pipelines that fail halfway', {}, (target, kind) => {
  test('the tail of a failed pipeline, sent after the error came back, leaves the session usable', { timeout: 30_000 }, async () => {
    const raw = await RawConnection.open(target().host, target().port);
    try {
      await raw.startup('postgres', target().database);
      raw.write(Buffer.concat([extendedQueryMessages('select 1'), extendedQueryMessages('select 1/0'), flushMessage()]));
      const head = await raw.readUntil('E');
      assert.equal(errorFields(head.at(-1)!).C, '22012');
      // The rest of the pipeline only now: the server skips it and answers the Sync alone.
      raw.write(Buffer.concat([extendedQueryMessages('select 3'), syncMessage()]));
      const tail = await raw.readUntil('Z');
      assert.deepEqual(tail.map((m) => m.type), ['Z']);
      // A statement the proxy evaluates with a query of its own on this session (the project
      // lookup) must not wait for answers to the skipped messages.
      const statement = kind === 'direct' ? 'select 1/0' : `select pgml.predict('no such project', ARRAY[1, 2])`;
      raw.write(queryMessage(statement));
      const replies = await raw.readUntil('Z');
      const errors = replies.filter((m) => m.type === 'E').map(errorFields);
      assert.deepEqual(errors.map((e) => e.C), [kind === 'direct' ? '22012' : '42704']);
      raw.write(queryMessage('select 41 + 1'));
      const answer = await raw.readUntil('Z');
      assert.equal(answer.find((m) => m.type === 'D')!.body.subarray(6).toString('utf8'), '42');
    } finally {
      raw.destroy();
    }
  });
});
