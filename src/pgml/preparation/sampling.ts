/**
 * The train/test split of pgml.train (`test_size`, `test_sampling`). PostgresML orders the rows
 * (`orm/sampling.rs`: `ORDER BY random()` for random, table order for last) and takes the last
 * `num_test` rows as the test set (`Snapshot::train_test_split`); we do the same over row indexes,
 * with a seedable generator so a split can be reproduced, in typed arrays (a million rows split
 * in milliseconds).
 *
 * `stratified` is PostgresML's `ROW_NUMBER() OVER (PARTITION BY <columns> ORDER BY random())`,
 * ordered by that row number, then random() (`orm/sampling.rs`). `snapshot.rs` passes every column of
 * the snapshot as the partition, features too, so on distinct rows PostgresML's split is random and
 * only repeated rows are spread, their later copies last.
 * - On a class label we keep each class's share in both sets (largest remainder per class): what the
 *   name promises, a deliberate difference (with label-only partitions that SQL would still test
 *   90 A / 10 B rows at 20% on A alone).
 * - On a regression target we follow the SQL (identicalRowGroups, occurrenceOrder): stratifying by
 *   the value of a continuous label gives every row its own stratum, and the largest-remainder
 *   leftovers put the rows with the smallest labels in the test set.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { seededRandom, shuffle } from '../random.js';

export type Sampling = 'random' | 'last' | 'stratified';
export const SAMPLINGS: readonly Sampling[] = ['random', 'last', 'stratified'];

export interface SplitOptions {
  testSize: number;
  sampling: Sampling;
  /** Seed for the shuffles; without one each split differs, as in PostgresML. */
  seed?: number;
  /** Stratified only: the stratum (label value) of each row. */
  strata?: ArrayLike<number>;
  /** Stratified regression, instead of strata: rows with the same number are identical (identicalRowGroups). */
  identicalRows?: ArrayLike<number>;
}

export interface Split {
  /** Row indexes: the training rows, then the test rows, each in the order they are used. */
  order: Uint32Array;
  numTrain: number;
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
      return { order: identity(numRows), numTrain };
    case 'random':
      return { order: shuffle(identity(numRows), random), numTrain };
    case 'stratified':
      return {
        order: options.identicalRows !== undefined
          ? occurrenceOrder(options.identicalRows, random)
          : stratifiedOrder(numRows, numTest, options.strata, random),
        numTrain,
      };
  }
}

/**
 * Numbers each distinct row (features and labels, compared bit for bit), as PostgresML's
 * PARTITION BY over every column groups them.
 */
export function identicalRowGroups(x: Float32Array, width: number, y: Float64Array, labelWidth: number, rows: number): Uint32Array {
  const groups = new Uint32Array(rows);
  const ids = new Map<string, number>();
  const xBytes = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const yBytes = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
  for (let row = 0; row < rows; row++) {
    const key = xBytes.toString('latin1', row * width * 4, (row + 1) * width * 4)
      + yBytes.toString('latin1', row * labelWidth * 8, (row + 1) * labelWidth * 8);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    groups[row] = id;
  }
  return groups;
}

/**
 * ORDER BY ROW_NUMBER() OVER (PARTITION BY group ORDER BY random()), random(): each row's rank among
 * the rows of its group in a random order, then ranks ascending, in random order within a rank.
 */
function occurrenceOrder(groups: ArrayLike<number>, random: () => number): Uint32Array {
  const numRows = groups.length;
  const shuffled = shuffle(identity(numRows), random);
  const seen = new Map<number, number>();
  const rank = new Uint32Array(numRows);
  let maxRank = 0;
  for (const row of shuffled) {
    const r = seen.get(groups[row]!) ?? 0;
    seen.set(groups[row]!, r + 1);
    rank[row] = r;
    if (r > maxRank) maxRank = r;
  }
  const starts = new Uint32Array(maxRank + 2);
  for (let row = 0; row < numRows; row++) starts[rank[row]! + 1]!++;
  for (let r = 0; r <= maxRank; r++) starts[r + 1]! += starts[r]!;
  const order = new Uint32Array(numRows);
  const fill = starts.slice(0, maxRank + 1);
  for (const row of shuffled) order[fill[rank[row]!]!++] = row;
  for (let r = 0; r <= maxRank; r++) shuffle(order.subarray(starts[r], starts[r + 1]), random);
  return order;
}

function stratifiedOrder(numRows: number, numTest: number, strata: ArrayLike<number> | undefined, random: () => number): Uint32Array {
  if (strata === undefined || strata.length !== numRows) {
    throw new PgError(SqlState.InvalidParameterValue, 'test_sampling => stratified needs a y_column_name to stratify on');
  }
  const { groupOf, sizes } = groupStrata(strata);
  // The rows of each stratum together, strata in ascending key order (a counting sort).
  const starts = new Uint32Array(sizes.length + 1);
  sizes.forEach((size, g) => (starts[g + 1] = (starts[g] as number) + size));
  const grouped = new Uint32Array(numRows);
  const fill = starts.slice(0, sizes.length);
  for (let row = 0; row < numRows; row++) grouped[fill[groupOf[row] as number]!++] = row;

  // Largest remainder: every stratum gets floor(share), the biggest fractions get the leftovers.
  const quotas = Array.from(sizes, (size) => (size * numTest) / numRows);
  const counts = quotas.map(Math.floor);
  let left = numTest - counts.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((q, i) => ({ i, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left -= 1;
  }

  const order = new Uint32Array(numRows);
  let train = 0;
  let test = numRows - numTest;
  sizes.forEach((size, g) => {
    const rows = shuffle(grouped.subarray(starts[g], (starts[g] as number) + size), random);
    const cut = size - (counts[g] as number);
    order.set(rows.subarray(0, cut), train);
    order.set(rows.subarray(cut), test);
    train += cut;
    test += size - cut;
  });
  shuffle(order.subarray(0, numRows - numTest), random);
  shuffle(order.subarray(numRows - numTest), random);
  return order;
}

/** Each row's stratum, numbered in ascending key order (a missing key counts as +Infinity), and each stratum's size. */
function groupStrata(strata: ArrayLike<number>): { groupOf: Uint32Array; sizes: Uint32Array } {
  const key = (i: number): number => {
    const v = strata[i] as number;
    return Number.isNaN(v) ? Infinity : v;
  };
  const sorted = Float64Array.from({ length: strata.length }, (_, i) => key(i)).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i] as number;
  const keys = sorted.subarray(0, distinct);
  const groupOf = new Uint32Array(strata.length);
  const sizes = new Uint32Array(distinct);
  for (let i = 0; i < strata.length; i++) {
    const k = key(i);
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as number) < k) lo = mid + 1;
      else hi = mid;
    }
    groupOf[i] = lo;
    sizes[lo]!++;
  }
  return { groupOf, sizes };
}

/** The shared generator (random.ts), seeded from crypto when no seed is given. */
export function createRandom(seed?: number): () => number {
  return seededRandom(seed ?? crypto.getRandomValues(new Uint32Array(1))[0] ?? 0);
}

function identity(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
