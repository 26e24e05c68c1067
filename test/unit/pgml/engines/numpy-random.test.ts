// numpy's legacy RandomState and scikit-learn's sample_without_replacement, draw for draw: checked
// against numpy itself (python3), covering each of sklearn's three sampling methods.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { choiceWithoutReplacement, NumpyRandomState, sampleWithoutReplacement, trainTestSplit } from '../../../../src/pgml/engines/numpy-random.js';
import { sklearnAvailable } from './sklearn-reference.js';

const CASES: [seed: number, n: number, k: number][] = [
  [0, 331, 11], // permutation (0.01 < k/n < 0.99)
  [0, 75_000, 31], // tracking selection (k/n < 0.01)
  [42, 100, 100], // reservoir sampling (k/n >= 0.99)
  [123_456_789, 1000, 995],
  [4_294_967_295, 2, 1],
];

describe('numpy RandomState', { skip: !sklearnAvailable() && 'python3 with scikit-learn not installed' }, () => {
  const script = `
import json, sys, numpy as np
from sklearn.utils.random import sample_without_replacement
out = []
for seed, n, k in json.load(sys.stdin):
    rs = np.random.RandomState(seed)
    first = sample_without_replacement(n, k, random_state=rs).tolist()
    second = sample_without_replacement(n, k, random_state=rs).tolist()
    out.append({'samples': [first, second], 'randint': [int(rs.randint(m)) for m in (1, 2, 7, 1000, 2**31)], 'permutation': rs.permutation(20).tolist()})
json.dump(out, sys.stdout)`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(CASES), encoding: 'utf8' });
  const expected = run.status === 0 ? (JSON.parse(run.stdout) as { samples: number[][]; randint: number[]; permutation: number[] }[]) : [];

  CASES.forEach(([seed, n, k], i) => {
    it(`seed ${seed}: two samples of ${k} from ${n}, then randint and permutation`, () => {
      assert.equal(run.status, 0, run.stderr);
      const random = new NumpyRandomState(seed);
      const samples = [sampleWithoutReplacement(random, n, k), sampleWithoutReplacement(random, n, k)].map((s) => Array.from(s));
      assert.deepEqual(samples, expected[i]!.samples);
      assert.deepEqual([1, 2, 7, 1000, 2 ** 31].map((m) => random.bounded(m - 1)), expected[i]!.randint);
      assert.deepEqual(Array.from(random.permutation(20)), expected[i]!.permutation);
    });
  });
});

// HistGradientBoosting's early stopping holds out train_test_split's rows (stratified for classifiers).
describe("scikit-learn's train_test_split", { skip: !sklearnAvailable() && 'python3 with scikit-learn not installed' }, () => {
  // Three classes with tied remainders (so _approximate_mode draws), and a plain shuffle split.
  const classes = Array.from({ length: 1003 }, (_, r) => (r * 7919) % 3);
  const SPLITS: [seed: number, n: number, fraction: number, stratified: boolean][] = [
    [2_963_253_367, 1003, 0.1, true],
    [7, 1003, 0.25, true],
    [11, 1003, 0.1, false],
  ];
  const script = `
import json, sys, numpy as np
from sklearn.model_selection import train_test_split
req = json.load(sys.stdin)
y = np.array(req['classes'])
out = []
for seed, n, fraction, stratified in req['splits']:
    train, test = train_test_split(np.arange(n), test_size=fraction, random_state=seed, stratify=y[:n] if stratified else None)
    out.append({'train': train.tolist(), 'test': test.tolist()})
json.dump(out, sys.stdout)`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify({ classes, splits: SPLITS }), encoding: 'utf8' });
  const expected = run.status === 0 ? (JSON.parse(run.stdout) as { train: number[]; test: number[] }[]) : [];

  SPLITS.forEach(([seed, n, fraction, stratified], i) => {
    it(`seed ${seed}: ${fraction} of ${n} rows${stratified ? ', stratified' : ''}, rows in sklearn's order`, () => {
      assert.equal(run.status, 0, run.stderr);
      const { train, test } = trainTestSplit(n, fraction, seed, stratified ? classes : undefined);
      assert.deepEqual(Array.from(test), expected[i]!.test);
      assert.deepEqual(Array.from(train), expected[i]!.train);
    });
  });
});

// MiniBatchKMeans's random seeding: choice without replacement given (uniform) shares, numpy's redraw loop.
describe('RandomState.choice without replacement, given shares', { skip: !sklearnAvailable() && 'python3 with scikit-learn not installed' }, () => {
  // Few rows for many places (redraws in most rounds), and a wide draw.
  const CHOICES: [seed: number, n: number, size: number][] = [
    [0, 5, 5],
    [3, 12, 9],
    [17, 1000, 8],
  ];
  const script = `
import json, sys, numpy as np
out = []
for seed, n, size in json.load(sys.stdin):
    rs = np.random.RandomState(seed)
    first = rs.choice(n, size=size, replace=False, p=np.ones(n) / n).tolist()
    out.append({'choice': first, 'after': rs.random_sample()})
json.dump(out, sys.stdout)`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(CHOICES), encoding: 'utf8' });
  const expected = run.status === 0 ? (JSON.parse(run.stdout) as { choice: number[]; after: number }[]) : [];

  CHOICES.forEach(([seed, n, size], i) => {
    it(`seed ${seed}: ${size} of ${n} rows, then the generator where numpy leaves it`, () => {
      assert.equal(run.status, 0, run.stderr);
      const random = new NumpyRandomState(seed);
      assert.deepEqual(Array.from(choiceWithoutReplacement(random, n, size)), expected[i]!.choice);
      assert.equal(random.randomSample(), expected[i]!.after);
    });
  });
});

// permutationInto inlines bounded()'s draws and keeps the mask between bounds (theil_sen's 10⁴ permutations of
// 75,000 rows): the same permutations as the plain Fisher-Yates over bounded(), and as numpy's, across the
// generator's regenerations and the masks' changes at powers of two, leaving the generator where it would.
function plainPermutation(random: NumpyRandomState, n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.bounded(i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('RandomState.permutation into a reused buffer', () => {
  const SIZES = [1, 2, 3, 624, 1024, 1025, 75_000];

  it('draws what Fisher-Yates over bounded() draws, buffer reused, then the same next words', () => {
    const fast = new NumpyRandomState(12_345);
    const plain = new NumpyRandomState(12_345);
    for (const n of [...SIZES, ...[...SIZES].reverse()]) {
      const buffer = new Int32Array(n).fill(-1);
      assert.deepEqual(Array.from(fast.permutationInto(buffer)), plainPermutation(plain, n), `n = ${n}`);
      assert.equal(fast.nextUint32(), plain.nextUint32());
    }
  });

  it("matches numpy's permutations, one after another", { skip: !sklearnAvailable() && 'python3 with numpy not installed' }, () => {
    const script = `
import json, sys, numpy as np
rs = np.random.RandomState(2024)
json.dump({'perms': [rs.permutation(n).tolist() for n in json.load(sys.stdin)], 'after': int(rs.randint(2**31))}, sys.stdout)`;
    const sizes = [75_000, 31, 1025, 75_000];
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(sizes), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const expected = JSON.parse(run.stdout) as { perms: number[][]; after: number };
    const random = new NumpyRandomState(2024);
    sizes.forEach((n, i) => assert.deepEqual(Array.from(random.permutationInto(new Int32Array(n))), expected.perms[i], `permutation ${i} of ${n}`));
    assert.equal(random.bounded(2 ** 31 - 1), expected.after);
  });
});
