/**
 * The train/test split of pgml.train (`test_size`, `test_sampling`). PostgresML orders the rows
 * (`orm/sampling.rs`: `ORDER BY random()` for random, table order for last) and takes the last
 * `num_test` rows as the test set (`Snapshot::train_test_split`); we do the same over row indexes,
 * with a seedable generator so a split can be reproduced.
 *
 * `stratified` keeps each label value's share in both sets (largest remainder per class).
 * PostgresML's SQL (`ROW_NUMBER() OVER (PARTITION BY label ORDER BY random())`, ordered by that row
 * number) does this only for balanced classes: with 90 A and 10 B rows and 20% test, its test set
 * is all A. Both agree on balanced data.
 */
import { PgError, SqlState } from '../../errors/index.js';

export type Sampling = 'random' | 'last' | 'stratified';
export const SAMPLINGS: readonly Sampling[] = ['random', 'last', 'stratified'];

export interface SplitOptions {
  testSize: number;
  sampling: Sampling;
  /** Seed for the shuffles; without one each split differs, as in PostgresML. */
  seed?: number;
  /** Stratified only: the stratum (label value) of each row. */
  strata?: readonly string[];
}

export interface Split {
  /** Row indexes of the training set, in the order the rows are used. */
  train: number[];
  test: number[];
}

export function parseSampling(value: unknown): Sampling {
  if (typeof value === 'string' && (SAMPLINGS as readonly string[]).includes(value)) return value as Sampling;
  throw new PgError(SqlState.InvalidParameterValue, `invalid test_sampling: ${JSON.stringify(value)}`, {
    hint: `valid values: ${SAMPLINGS.join(', ')}`,
  });
}

/** PostgresML: a test_size above 1 is a row count, otherwise a fraction rounded to whole rows. */
export function splitCounts(numRows: number, testSize: number): { numTrain: number; numTest: number } {
  if (!Number.isFinite(testSize) || testSize < 0) {
    throw new PgError(SqlState.InvalidParameterValue, `test_size must be a fraction below 1 or a row count, not ${testSize}`);
  }
  if (numRows === 0) {
    throw new PgError(SqlState.InvalidParameterValue, 'the training relation has no rows');
  }
  const numTest = testSize > 1 ? Math.trunc(testSize) : Math.round(numRows * testSize);
  if (numTest >= numRows) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `test_size = ${testSize} needs ${numTest} test rows, but there are only ${numRows} rows`,
      { hint: 'at least one row must remain for training: lower test_size' },
    );
  }
  if (numTest === 0 && testSize > 0) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `test_size = ${testSize} of ${numRows} rows leaves no test rows to score the model`,
      { hint: 'raise test_size, give a row count (e.g. test_size => 2), or pass test_size => 0 to skip scoring' },
    );
  }
  return { numTrain: numRows - numTest, numTest };
}

export function trainTestSplit(numRows: number, options: SplitOptions): Split {
  const { numTrain, numTest } = splitCounts(numRows, options.testSize);
  const random = createRandom(options.seed);
  switch (options.sampling) {
    case 'last':
      return { train: range(0, numTrain), test: range(numTrain, numRows) };
    case 'random': {
      const order = shuffle(range(0, numRows), random);
      return { train: order.slice(0, numTrain), test: order.slice(numTrain) };
    }
    case 'stratified':
      return stratifiedSplit(numRows, numTest, options.strata, random);
  }
}

function stratifiedSplit(
  numRows: number,
  numTest: number,
  strata: readonly string[] | undefined,
  random: () => number,
): Split {
  if (strata === undefined || strata.length !== numRows) {
    throw new PgError(SqlState.InvalidParameterValue, 'test_sampling => stratified needs a y_column_name to stratify on');
  }
  const groups = new Map<string, number[]>();
  strata.forEach((key, row) => {
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  });

  // Largest remainder: every class gets floor(share), the biggest fractions get the leftovers.
  const entries = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const quotas = entries.map(([, rows]) => (rows.length * numTest) / numRows);
  const counts = quotas.map(Math.floor);
  let left = numTest - counts.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((q, i) => ({ i, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left -= 1;
  }

  const train: number[] = [];
  const test: number[] = [];
  entries.forEach(([, rows], i) => {
    const shuffled = shuffle([...rows], random);
    const cut = shuffled.length - (counts[i] as number);
    train.push(...shuffled.slice(0, cut));
    test.push(...shuffled.slice(cut));
  });
  return { train: shuffle(train, random), test: shuffle(test, random) };
}

/** mulberry32: small, fast, and good enough to order rows; seeded from crypto when no seed is given. */
export function createRandom(seed?: number): () => number {
  let state = (seed ?? crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates in place; returns the same array. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i] as T;
    items[i] = items[j] as T;
    items[j] = swap;
  }
  return items;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
