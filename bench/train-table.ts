// The synthetic training table of the training benchmarks (train-wall.ts, train-rss.ts): the same rows
// in both, so their numbers compare.
import type pg from 'pg';

export const FEATURES = 30;

const round3 = (v: number): number => Number(v.toPrecision(3));

/** Gaussian features (Box–Muller in SQL), a label from fixed weights, two interactions and noise. */
export async function createTable(db: pg.Client, name: string, rows: number): Promise<void> {
  const weights = Array.from({ length: FEATURES }, (_, j) => round3(Math.sin(j * 12.9898) * 1.7));
  const columns = Array.from({ length: FEATURES }, (_, j) => `v[${j + 1}]::real AS x${j}`);
  const logit = weights.map((w, j) => `${w} * v[${j + 1}]`).join(' + ');
  await db.query('SELECT setseed(0.42)');
  await db.query(`
    CREATE TABLE ${name} AS
    WITH g AS (
      SELECT ARRAY(SELECT (sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::real
                     FROM generate_series(1, ${FEATURES + 1}) WHERE i > 0) AS v
        FROM generate_series(1, ${rows}) AS i)
    SELECT ${columns.join(', ')},
           ((${logit}) / sqrt(${FEATURES}) + 1.5 * v[1] * v[2] + sin(3 * v[3]) + 0.5 * v[${FEATURES + 1}] > 0) AS label
      FROM g`);
  await db.query(`VACUUM ANALYZE ${name}`);
}
