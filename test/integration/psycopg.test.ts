// psycopg 3 over libpq: server-side binding, executemany, COPY rows and libpq pipeline mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execCapture } from '../support/exec.js';
import { REPO_ROOT } from '../support/proxy.js';
import { describeTargets } from '../support/targets.js';

const SCRIPT = join(REPO_ROOT, 'test', 'integration', 'clients', 'psycopg_client.py');
const PYTHON = process.env.PYTHON ?? 'python3';

describeTargets('psycopg', {}, (target, kind) => {
  test('the psycopg client script sees correct results', { timeout: 120_000 }, async () => {
    const args = [SCRIPT, target().url()];
    if (kind !== 'direct') args.push('--pgml');
    // On PGlite the portal psycopg declares in the extended protocol is not there for its Describe.
    if (kind === 'proxy-postgres') args.push('--named-cursor');
    const r = await execCapture(PYTHON, args);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.server_params, [42, 'ok']);
    assert.equal(out.binary, 42);
    assert.deepEqual(out.prepared, [0, 3, 6, 9]);
    assert.equal(out.executemany_count, 100);
    assert.equal(out.copy_count, 1100);
    assert.deepEqual(out.copy_out, [1095, 1096, 1097, 1098, 1099].map((i) => [String(i), `copied ${i}`]));
    assert.deepEqual(out.pipeline, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(out.pipeline_error, '22012');
    assert.equal(out.after_pipeline_error, 'alive');
    assert.deepEqual(out.tx_rows, [[5000]]);
    if (kind !== 'direct') {
      assert.match(out.pgml_version, /^\d+\.\d+\.\d+/);
      assert.deepEqual(out.pgml_version_param, [out.pgml_version, 9]);
      assert.ok(out.per_row_simple.length > 10, `${out.per_row_simple.length} rows`);
      if (kind === 'proxy-postgres') assert.deepEqual(out.per_row_named_cursor, out.per_row_simple);
      assert.deepEqual(out.per_row_bound, out.per_row_simple);
      assert.deepEqual(out.per_row_binary, out.per_row_simple);
      assert.deepEqual(out.per_row_pipeline, out.per_row_pipeline_expected);
      assert.notDeepEqual(out.per_row_pipeline[0], out.per_row_pipeline[1]);
    }
  });
});
