// pgbench: COPY-heavy initialisation, then concurrent sessions in each query mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execCapture } from '../support/exec.js';
import { describeTargets } from '../support/targets.js';

const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';

describeTargets('pgbench', {}, (target) => {
  test('pgbench -i -s 1 initialises through the target', { timeout: 180_000 }, async () => {
    const r = await execCapture(PGBENCH, ['-i', '-s', '1', '-q', target().url()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /done in/);
  });

  for (const mode of ['simple', 'extended', 'prepared'] as const) {
    test(`pgbench -M ${mode} -c 4 -j 4 -t 50 completes without errors`, { timeout: 180_000 }, async () => {
      // One thread per client: with -M prepared pgbench prepares with a blocking call, and on the
      // embedded upstream (one backend shared at transaction boundaries) a thread blocked on one
      // client while another of its clients holds a transaction would wait forever.
      const r = await execCapture(PGBENCH, ['-M', mode, '-c', '4', '-j', '4', '-t', '50', '-n', target().url()]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`query mode: ${mode}`));
      assert.match(r.stdout, /number of transactions actually processed: 200\/200/);
      assert.match(r.stdout, /number of failed transactions: 0 /);
      assert.doesNotMatch(r.stderr, /error/i);
    });
  }
});
