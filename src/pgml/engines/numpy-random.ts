/**
 * numpy's legacy RandomState (MT19937 seeded by init_genrand, bounded integers by masked rejection)
 * and scikit-learn's sample_without_replacement on top of it, draw for draw. Estimators whose answer
 * hangs on a few random rows (RANSAC's minimal subsets) give scikit-learn's answer for the same
 * random_state only if they draw the same rows; no npm generator reproduces numpy's bounded draws
 * and permutation order, and MT19937 itself is a few lines.
 */

const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  /** The same words as int32: the hot loops' reads and writes stay small integers for the JIT. */
  private readonly words = new Int32Array(this.mt.buffer);
  private index = N;

  /** np.random.RandomState(seed) for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** An integer in [0, max] (max < 2^32): numpy's random_interval and legacy randint(max + 1). */
  bounded(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** A double in [0, 1) from 53 random bits (two draws): random_sample() and uniform(). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** RandomState.permutation(n): Fisher-Yates from the end, as numpy's shuffle. */
  permutation(n: number): Int32Array {
    return this.permutationInto(new Int32Array(n));
  }

  /**
   * permutation(out.length) written into `out`: callers drawing many permutations reuse one buffer.
   * bounded()'s draws inlined (theil_sen draws 10⁴ permutations of 75,000 rows at 100k): the generator's
   * words read straight from its state, tempered here, and the mask kept from one bound to the next (it
   * only changes when i falls below a power of two). The same words, masks and rejections as bounded(i).
   */
  permutationInto(out: Int32Array): Int32Array {
    const n = out.length;
    for (let i = 0; i < n; i++) out[i] = i;
    const words = this.words;
    let index = this.index;
    let mask = n - 1;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (let i = n - 1; i > 0; i--) {
      while (mask >>> 1 >= i) mask >>>= 1;
      let j: number;
      do {
        if (index >= N) {
          this.twist();
          index = 0;
        }
        let y = words[index++]!;
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & (0xefc60000 | 0);
        y ^= y >>> 18;
        j = y & mask;
      } while (j > i);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    this.index = index;
    return out;
  }

  /** MT19937's regeneration of all N words, in its reference three parts (no index wraps in the loops). */
  private twist(): void {
    const mt = this.words;
    const upper = 0x80000000 | 0;
    const matrix = 0x9908b0df | 0;
    let i = 0;
    for (; i < N - M; i++) {
      const y = (mt[i]! & upper) | (mt[i + 1]! & 0x7fffffff);
      mt[i] = mt[i + M]! ^ (y >>> 1) ^ (-(y & 1) & matrix);
    }
    for (; i < N - 1; i++) {
      const y = (mt[i]! & upper) | (mt[i + 1]! & 0x7fffffff);
      mt[i] = mt[i + M - N]! ^ (y >>> 1) ^ (-(y & 1) & matrix);
    }
    const y = (mt[N - 1]! & upper) | (mt[0]! & 0x7fffffff);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & matrix);
    this.index = 0;
  }
}

/**
 * RandomState.choice(n, size, replace=False, p=uniform), as scikit-learn's random seeding calls it (with
 * sample weights, all one here): numpy's loop for a given p, not the permutation it uses without one.
 * Each round draws a double per place left, zeroes the shares of the rows already found, searches the
 * draws right of the normalised cumulative shares and keeps the distinct rows in order of first draw.
 */
export function choiceWithoutReplacement(random: NumpyRandomState, n: number, size: number): Int32Array {
  const found = new Int32Array(size);
  const shares = new Float64Array(n).fill(1 / n);
  const cdf = new Float64Array(n);
  let unique = 0;
  while (unique < size) {
    const draws = Array.from({ length: size - unique }, () => random.randomSample());
    for (let i = 0; i < unique; i++) shares[found[i]!] = 0;
    let running = 0;
    for (let r = 0; r < n; r++) cdf[r] = running += shares[r]!;
    for (let r = 0; r < n; r++) cdf[r]! /= running;
    const seen = new Set<number>();
    for (const u of draws) {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! <= u) lo = mid + 1;
        else hi = mid;
      }
      if (!seen.has(lo)) {
        seen.add(lo);
        found[unique++] = lo;
      }
    }
  }
  return found;
}

/**
 * sklearn.utils.random.sample_without_replacement(n, k, method='auto'): a permutation's first k when
 * 0.01 < k/n < 0.99, else tracking selection (k/n < 0.2) or reservoir sampling; the order is sklearn's.
 */
export function sampleWithoutReplacement(random: NumpyRandomState, n: number, k: number): Int32Array {
  const ratio = n === 0 ? 1 : k / n;
  if (ratio > 0.01 && ratio < 0.99) return random.permutation(n).slice(0, k);
  const out = new Int32Array(k);
  if (ratio < 0.2) {
    const selected = new Set<number>();
    for (let i = 0; i < k; i++) {
      let j = random.bounded(n - 1);
      while (selected.has(j)) j = random.bounded(n - 1);
      selected.add(j);
      out[i] = j;
    }
    return out;
  }
  for (let i = 0; i < k; i++) out[i] = i;
  for (let i = k; i < n; i++) {
    const j = random.bounded(i);
    if (j < k) out[j] = i;
  }
  return out;
}

/**
 * sklearn's train_test_split(test_size=fraction, random_state=seed) row indexes, in its order: ShuffleSplit
 * (one permutation: its first ceil(fraction·n) are the test rows), or with `classes` (one per row, 0..k-1)
 * StratifiedShuffleSplit: per-class counts from _approximate_mode, a permutation per class, then each side
 * permuted again. Estimators that hold out rows (HistGradientBoosting's early stopping) train on these.
 */
export function trainTestSplit(n: number, fraction: number, seed: number, classes?: ArrayLike<number>): { train: Int32Array; test: Int32Array } {
  const random = new NumpyRandomState(seed);
  const nTest = Math.ceil(fraction * n);
  const nTrain = n - nTest;
  if (!classes) {
    const order = random.permutation(n);
    return { train: order.slice(nTest, nTest + nTrain), test: order.slice(0, nTest) };
  }
  const byClass: number[][] = [];
  for (let r = 0; r < n; r++) (byClass[classes[r]!] ??= []).push(r);
  const groups = byClass.filter((group) => group !== undefined);
  const counts = groups.map((group) => group.length);
  const trainCounts = approximateMode(counts, nTrain, random);
  const testCounts = approximateMode(counts.map((c, i) => c - trainCounts[i]!), nTest, random);
  const train: number[] = [];
  const test: number[] = [];
  groups.forEach((group, i) => {
    const permuted = Array.from(random.permutation(group.length), (j) => group[j]!);
    train.push(...permuted.slice(0, trainCounts[i]));
    test.push(...permuted.slice(trainCounts[i], trainCounts[i]! + testCounts[i]!));
  });
  const permute = (rows: number[]) => Int32Array.from(random.permutation(rows.length), (j) => rows[j]!);
  return { train: permute(train), test: permute(test) };
}

/** sklearn.utils.extmath._approximate_mode: floors of the shares, the rest to the largest remainders (ties drawn). */
function approximateMode(counts: number[], draws: number, random: NumpyRandomState): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let needToAdd = draws - floored.reduce((a, b) => a + b, 0);
  const remainder = continuous.map((c, i) => c - floored[i]!);
  for (const value of [...new Set(remainder)].sort((a, b) => b - a)) {
    if (needToAdd <= 0) break;
    const tied = remainder.flatMap((r, i) => (r === value ? [i] : []));
    const addNow = Math.min(tied.length, needToAdd);
    // rng.choice(tied, addNow, replace=False): a permutation's first addNow.
    for (const j of random.permutation(tied.length).slice(0, addNow)) floored[tied[j]!]! += 1;
    needToAdd -= addNow;
  }
  return floored;
}
