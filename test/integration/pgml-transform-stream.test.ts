// pgml.transform_stream through the proxy, on Postgres and on embedded PGlite, with the tiny GPT-2
// fixture: rows are pieces of the text pgml.transform generates (which pgml-transform.test.ts
// compares with Python's), cut as PostgresML's streamer cuts them; the extended protocol's row
// limit gets the first row while the rest is not generated yet (the embedding thread still holds
// the request), closing the portal, cancelling or statement_timeout stops generation.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../support/proxy.js';
import { suiteClient } from '../support/pg-client.js';
import { BufferList, RawConnection, cancelRequest, errorFields, flushMessage, frontendMessage, syncMessage, type BackendMessage } from '../support/raw-wire.js';
import { describeTargets, type Target } from '../support/targets.js';

process.env.PGML_MODELS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'models');

/** PostgresML's documented completion, byte for byte but for the model. */
const DOCS_COMPLETION = `SELECT pgml.transform_stream(
    task => '{
        "task": "text-generation",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    input => 'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone'
) AS answer;`;

const PROMPT = 'The cat sat on the mat and';
/** Greedy, and long enough that many rows come out (min = max: end-of-text does not stop early). */
const LONG = { max_new_tokens: 90, min_new_tokens: 90 };
const STREAM_SQL = `SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $2::jsonb, $1) AS answer`;

/** What every streamed row must be: a list of one string, each but the last cut after a space or a newline. */
function assertPieces(rows: string[][]): void {
  assert.ok(rows.length > 1, `several rows: ${JSON.stringify(rows)}`);
  for (const [i, row] of rows.entries()) {
    assert.equal(row.length, 1, JSON.stringify(row));
    if (i < rows.length - 1) assert.match(row[0]!, /[ \n]$/, `row ${i} ends a word: ${JSON.stringify(row)}`);
  }
}

async function runningRequests(target: Target): Promise<number> {
  const text = await (await fetch(`${target.proxy!.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pgml_proxy_embedding_requests_running '));
  assert.ok(line !== undefined, 'the proxy reports pgml_proxy_embedding_requests_running');
  return Number(line.split(' ').pop());
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

/** Parse and Bind of the unnamed statement/portal with text parameters, then Describe of the portal. */
function prepareMessages(sql: string, params: string[]): Buffer {
  const bind = new BufferList().cstring('').cstring('').int16(0).int16(params.length);
  for (const p of params) bind.int32(Buffer.byteLength(p)).raw(Buffer.from(p));
  bind.int16(0);
  return Buffer.concat([
    frontendMessage('P', new BufferList().cstring('').cstring(sql).int16(0).body()),
    bind.join('B'),
    frontendMessage('D', new BufferList().byte('P').cstring('').body()),
  ]);
}

const execute = (maxRows: number): Buffer => frontendMessage('E', new BufferList().cstring('').int32(maxRows).body());

function dataRows(messages: BackendMessage[]): string[][] {
  return messages.filter((m) => m.type === 'D').map((m) => JSON.parse(m.body.subarray(6).toString('utf8')) as string[]);
}

function commandTag(messages: BackendMessage[]): string | undefined {
  const complete = messages.find((m) => m.type === 'C');
  return complete?.body.subarray(0, complete.body.length - 1).toString('utf8');
}

describeTargets('pgml.transform_stream', { proxyOnly: true, http: true }, (target) => {
  const client = suiteClient(target);

  async function generatedText(prompt: string, args: object): Promise<string> {
    const { rows } = await client().query(
      `SELECT pgml.transform('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $2::jsonb, ARRAY[$1]) AS t`,
      [prompt, JSON.stringify(args)],
    );
    return (rows[0].t as { generated_text: string }[][])[0]![0]!.generated_text;
  }

  let lastKey = { processId: 0, secretKey: 0 };
  async function open(): Promise<RawConnection> {
    const raw = await RawConnection.open(target().host, target().port);
    lastKey = await raw.startup('postgres', target().database);
    return raw;
  }

  it("PostgresML's completion example: the prompt and its completion, piece by piece", async () => {
    const { rows, fields } = await client().query(DOCS_COMPLETION);
    assert.deepEqual(
      fields.map((f) => [f.name, f.dataTypeID]),
      [['answer', 3802]],
    );
    const pieces = rows.map((r) => r.answer as string[]);
    assertPieces(pieces);
    const prompt = 'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone';
    // generate()'s own default length, max_length 20 with the prompt, gives one token after these
    // 64; pgml.transform's pipeline has a default of its own.
    assert.equal(pieces.map((p) => p[0]).join(''), await generatedText(prompt, { max_new_tokens: 1 }));
  });

  it('a text that ends with a newline at the last token streams, then an empty last row (the error that was 38000)', async () => {
    // The docs' prompt with 8 new tokens ends in a newline: the streamer starts afresh there, and at
    // the end has no tokens, which transformers.js refused to decode ("token_ids must be a
    // non-empty array of integers" reached the client). Python decodes no tokens to ''.
    const prompt = 'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone';
    const args = { max_new_tokens: 8, min_new_tokens: 8 };
    const { rows } = await client().query(STREAM_SQL, [prompt, JSON.stringify(args)]);
    const pieces = rows.map((r) => (r.answer as string[])[0]!);
    const text = await generatedText(prompt, args);
    assert.ok(text.endsWith('\n'), JSON.stringify(text));
    assert.equal(pieces.join(''), text);
    assert.equal(pieces.at(-1), '');
    assert.deepEqual((await client().query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  });

  it("PostgresML's chat example: the answer to the messages, without the prompt", async () => {
    const { rows } = await client().query(`SELECT pgml.transform_stream(
    task => '{
        "task": "conversational",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    inputs => ARRAY[
        '{"role": "system", "content": "You are a friendly and helpful chatbot"}'::JSONB,
        '{"role": "user", "content": "Tell me about yourself."}'::JSONB
    ]
) AS answer;`);
    // The fixture's chat template (scripts/make-transformer-models.py) renders this prompt; the
    // default length (max_length 20 with the prompt) gives one token after it.
    const prompt = 'system: You are a friendly and helpful chatbot\nuser: Tell me about yourself.\nassistant:';
    const answer = rows.map((r) => (r.answer as string[])[0]).join('');
    assert.equal(prompt + answer, await generatedText(prompt, { max_new_tokens: 1 }));
  });

  it('chat messages stream piece by piece; a completion task takes them too, a chat task wants them', async () => {
    const args = JSON.stringify({ max_new_tokens: 30, min_new_tokens: 30 });
    const messages = `ARRAY['{"role": "user", "content": "Tell me about yourself."}'::jsonb]`;
    const { rows } = await client().query(
      `SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, '${args}'::jsonb, ${messages}) AS answer`,
    );
    const pieces = rows.map((r) => r.answer as string[]);
    assertPieces(pieces);
    const prompt = 'user: Tell me about yourself.\nassistant:';
    assert.equal(prompt + pieces.map((p) => p[0]).join(''), await generatedText(prompt, { max_new_tokens: 30, min_new_tokens: 30 }));
    await assert.rejects(
      client().query(`SELECT pgml.transform_stream('{"task": "conversational", "model": "pgml-test/tiny-gpt2"}'::jsonb, input => 'Hi')`),
      (error: { code?: string; message?: string }) => error.code === '22023' && /takes chat messages/.test(error.message ?? ''),
    );
  });

  it("the task as text: a prompt and chat messages go to the pipeline's default model (not here: a clear 42704)", async () => {
    for (const input of [`'Hi'`, `ARRAY['{"role": "user", "content": "Hi"}'::jsonb]`]) {
      await assert.rejects(
        client().query(`SELECT pgml.transform_stream('text-generation', '{"max_new_tokens": 2}'::jsonb, ${input}) AS answer`),
        (error: { code?: string; message?: string }) => error.code === '42704' && error.message === 'model "openai-community/gpt2" was not found',
        input,
      );
    }
    assert.equal((await client().query('SELECT 1 AS ok')).rows[0].ok, 1);
  });

  it('in FROM the same rows come all at once', async () => {
    const args = JSON.stringify(LONG);
    const streamed = await client().query(STREAM_SQL.replace('$1', `'${PROMPT}'`).replace('$2', `'${args}'`));
    const { rows } = await client().query(
      `SELECT answer FROM pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, '${args}'::jsonb, '${PROMPT}') AS answer`,
    );
    assert.deepEqual(rows, streamed.rows);
  });

  it('the extended protocol: a row limit gets the first rows while the rest is not generated yet', async () => {
    const whole = await generatedText(PROMPT, LONG);
    const raw = await open();
    try {
      raw.write(Buffer.concat([prepareMessages(STREAM_SQL, [PROMPT, JSON.stringify(LONG)]), execute(1), flushMessage()]));
      const first = await raw.readUntil('s');
      assert.deepEqual(first.map((m) => m.type), ['1', '2', 'T', 'D', 's']);
      // The thread holds the request: generation waits for the client to read on.
      assert.equal(await runningRequests(target()), 1);
      raw.write(Buffer.concat([execute(2), flushMessage()]));
      const next = await raw.readUntil('s');
      assert.deepEqual(next.map((m) => m.type), ['D', 'D', 's']);
      raw.write(Buffer.concat([execute(0), syncMessage()]));
      const rest = await raw.readUntil('Z');
      const restRows = dataRows(rest);
      assert.equal(commandTag(rest), `SELECT ${restRows.length}`);
      const rows = [...dataRows(first), ...dataRows(next), ...restRows];
      assertPieces(rows);
      assert.equal(rows.map((r) => r[0]).join(''), whole);
      assert.equal(await runningRequests(target()), 0);
    } finally {
      raw.destroy();
    }
  });

  it('closing a portal that was not read to its end stops generation', async () => {
    const raw = await open();
    try {
      raw.write(Buffer.concat([prepareMessages(STREAM_SQL, [PROMPT, JSON.stringify(LONG)]), execute(1), flushMessage()]));
      await raw.readUntil('s');
      assert.equal(await runningRequests(target()), 1);
      raw.write(Buffer.concat([frontendMessage('C', new BufferList().byte('P').cstring('').body()), syncMessage()]));
      assert.deepEqual((await raw.readUntil('Z')).map((m) => m.type), ['3', 'Z']);
      await until('generation stopped', async () => (await runningRequests(target())) === 0);
      // The session goes on.
      raw.write(Buffer.concat([frontendMessage('Q', Buffer.from('SELECT 1\0'))]));
      assert.equal((await raw.readUntil('Z')).find((m) => m.type === 'E'), undefined);
    } finally {
      raw.destroy();
    }
  });

  it("statement_timeout stops a streamed generation with 57014 after the rows already sent, and the generation with it", async () => {
    // Far beyond 200 ms on any machine: 128 sequences of 120 tokens (the fixture holds 128 positions); 32 took about 200 ms on the quiet CI machine, and finished before the timeout once.
    const args = JSON.stringify({ max_tokens: 120, min_new_tokens: 120, n: 128, temperature: 0 });
    const sql = `SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, '${args}'::jsonb, 'The cat sat') AS answer`;
    const query = (text: string) => frontendMessage('Q', Buffer.from(`${text}\0`));
    const raw = await open();
    try {
      raw.write(query(`SET statement_timeout = '200ms'`));
      await raw.readUntil('Z');
      raw.write(query(sql));
      const reply = await raw.readUntil('Z');
      const error = reply.find((m) => m.type === 'E');
      assert.ok(error !== undefined, `no error: ${reply.length} messages`);
      assert.deepEqual([errorFields(error).C, errorFields(error).M], ['57014', 'canceling statement due to statement timeout']);
      assert.equal(commandTag(reply), undefined);
      await until('generation stopped', async () => (await runningRequests(target())) === 0);
      raw.write(query('SET statement_timeout = 0'));
      await raw.readUntil('Z');
      raw.write(query(sql));
      const whole = await raw.readUntil('Z');
      assert.equal(commandTag(whole), `SELECT ${dataRows(whole).length}`);
      assert.ok(dataRows(reply).length < dataRows(whole).length, `stopped early: ${dataRows(reply).length} of ${dataRows(whole).length} rows`);
      // Postgres times each Execute of a portal on its own: the client's pause between them does not count.
      raw.write(query(`SET statement_timeout = '200ms'`));
      await raw.readUntil('Z');
      const short = JSON.stringify({ max_new_tokens: 20, min_new_tokens: 20 });
      raw.write(Buffer.concat([prepareMessages(STREAM_SQL, [PROMPT, short]), execute(1), flushMessage()]));
      assert.deepEqual((await raw.readUntil('s')).map((m) => m.type), ['1', '2', 'T', 'D', 's']);
      await sleep(400);
      raw.write(Buffer.concat([execute(0), syncMessage()]));
      const rest = await raw.readUntil('Z');
      assert.equal(rest.find((m) => m.type === 'E'), undefined);
      assert.equal(commandTag(rest), `SELECT ${dataRows(rest).length}`);
    } finally {
      raw.destroy();
    }
  });

  it('CancelRequest stops generation with 57014 after the rows already sent', async () => {
    // The cancel races the generation's end (tenths of a second): a few tries give one that lands.
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await open();
      try {
        const key = lastKey;
        raw.write(Buffer.concat([prepareMessages(STREAM_SQL, [PROMPT, JSON.stringify(LONG)]), execute(1), flushMessage()]));
        await raw.readUntil('s');
        raw.write(Buffer.concat([execute(0), syncMessage()]));
        await sendCancel(target(), key);
        const rest = await raw.readUntil('Z');
        const error = rest.find((m) => m.type === 'E');
        if (error === undefined) continue;
        assert.equal(errorFields(error).C, '57014');
        assert.equal(commandTag(rest), undefined);
        await until('generation stopped', async () => (await runningRequests(target())) === 0);
        return;
      } finally {
        raw.destroy();
      }
    }
    assert.fail('no cancel landed before generation ended in 5 tries');
  });
});

function sendCancel(target: Target, key: { processId: number; secretKey: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host, () => socket.end(cancelRequest(key.processId, key.secretKey)));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}
