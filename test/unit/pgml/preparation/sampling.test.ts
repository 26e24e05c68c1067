import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRandom, identicalRowGroups, parseSampling, splitCounts, trainTestSplit as typedSplit, type SplitOptions,
} from '../../../../src/pgml/preparation/sampling.js';

/** The split as two lists: training rows, test rows. */
const trainTestSplit = (n: number, options: SplitOptions): { train: number[]; test: number[] } => {
  const { order, numTrain } = typedSplit(n, options);
  return { train: [...order.subarray(0, numTrain)], test: [...order.subarray(numTrain)] };
};

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('splitCounts', () => {
  it('reads a fraction (rounded) or, above 1, a row count', () => {
    assert.deepEqual(splitCounts(10, 0.25), { numTrain: 7, numTest: 3 });
    assert.deepEqual(splitCounts(10, 0.24), { numTrain: 8, numTest: 2 });
    assert.deepEqual(splitCounts(10, 3), { numTrain: 7, numTest: 3 });
    assert.deepEqual(splitCounts(10, 2.9), { numTrain: 8, numTest: 2 });
    assert.deepEqual(splitCounts(10, 0), { numTrain: 10, numTest: 0 });
  });

  it('refuses an empty relation, a split leaving no training rows, and one leaving no test rows', () => {
    assert.throws(() => splitCounts(0, 0.25), { code: '22023', message: /no rows/ });
    assert.throws(() => splitCounts(4, 4), { code: '22023', message: /needs 4 test rows, but there are only 4 rows/ });
    assert.throws(() => splitCounts(4, 1), { code: '22023', message: /only 4 rows/ });
    assert.throws(() => splitCounts(3, 0.1), { code: '22023', message: /leaves no test rows/ });
    assert.throws(() => splitCounts(10, -0.5), { code: '22023' });
    assert.throws(() => splitCounts(10, Number.NaN), { code: '22023' });
  });
});

describe('trainTestSplit', () => {
  it("'last' keeps table order and tests on the last rows", () => {
    assert.deepEqual(trainTestSplit(5, { testSize: 2, sampling: 'last' }), { train: [0, 1, 2], test: [3, 4] });
  });

  it("'random' is a permutation, reproducible with a seed and different across seeds", () => {
    const a = trainTestSplit(100, { testSize: 0.2, sampling: 'random', seed: 7 });
    const b = trainTestSplit(100, { testSize: 0.2, sampling: 'random', seed: 7 });
    const c = trainTestSplit(100, { testSize: 0.2, sampling: 'random', seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.test.length, 20);
    assert.deepEqual(sorted([...a.train, ...a.test]), range(100));
    assert.notDeepEqual(a.train, range(80));
  });

  it("'stratified' keeps each class's share in the test set, even a rare class", () => {
    const strata = range(100).map((i) => (i < 90 ? 0 : 1));
    const split = trainTestSplit(100, { testSize: 0.2, sampling: 'stratified', strata, seed: 1 });
    const count = (rows: number[], key: number): number => rows.filter((r) => strata[r] === key).length;
    assert.equal(count(split.test, 0), 18);
    assert.equal(count(split.test, 1), 2);
    assert.equal(count(split.train, 1), 8);
    assert.deepEqual(sorted([...split.train, ...split.test]), range(100));
  });

  it("'stratified' hands leftover test rows to the largest remainders and needs a label", () => {
    const strata = [2.5, 2.5, 2.5, -1, -1, 7, 7];
    const split = trainTestSplit(7, { testSize: 3, sampling: 'stratified', strata, seed: 3 });
    assert.equal(split.test.length, 3);
    assert.deepEqual(new Set(split.test.map((r) => strata[r])), new Set([2.5, -1, 7]));
    assert.throws(() => trainTestSplit(7, { testSize: 3, sampling: 'stratified' }), { code: '22023' });
  });

  it("'stratified' regression: distinct rows split at random, as PostgresML's PARTITION BY every column", () => {
    // Continuous labels, every row distinct: stratifying by label value used to test on the 25 smallest.
    const y = Float64Array.from(range(100), (i) => i * 1.5);
    const x = Float32Array.from(range(100), (i) => Math.sin(i));
    const identicalRows = identicalRowGroups(x, 1, y, 1, 100);
    assert.equal(new Set(identicalRows).size, 100);
    const tests = [1, 2, 3].map((seed) => sorted(trainTestSplit(100, { testSize: 0.25, sampling: 'stratified', identicalRows, seed }).test));
    for (const test of tests) {
      assert.equal(test.length, 25);
      assert.ok(test[test.length - 1]! > 50, `test rows ${test}`);
    }
    assert.notDeepEqual(tests[0], tests[1]);
  });

  it("'stratified' regression: a repeated row's later copies go last, into the test set", () => {
    // 40 distinct rows, each twice: ROW_NUMBER() 1 for one copy of each, 2 for the other, ordered by it.
    const x = Float32Array.from(range(80), (i) => i % 40);
    const y = Float64Array.from(range(80), (i) => (i % 40) / 7);
    const identicalRows = identicalRowGroups(x, 1, y, 1, 80);
    assert.equal(new Set(identicalRows).size, 40);
    const { train, test } = trainTestSplit(80, { testSize: 0.5, sampling: 'stratified', identicalRows, seed: 4 });
    assert.deepEqual(sorted(train.map((r) => r % 40)), range(40));
    assert.deepEqual(sorted(test.map((r) => r % 40)), range(40));
    // Same features but another label, or the same label on other features: different rows.
    const groups = identicalRowGroups(Float32Array.of(1, 2, 1, 2, 1, 3), 2, Float64Array.of(5, 6, 5), 1, 3);
    assert.deepEqual([...groups], [0, 1, 2]);
  });

  it('parseSampling accepts the three PostgresML samplings only', () => {
    assert.equal(parseSampling('stratified'), 'stratified');
    assert.throws(() => parseSampling('first'), { code: '22023' });
  });

  it('createRandom is uniform enough to shuffle: values in [0, 1), mean near 1/2', () => {
    const random = createRandom(42);
    const values = Array.from({ length: 10000 }, random);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  });
});
