import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hyperparamCandidates,
  kFolds,
  parseSearch,
  parseSearchArgs,
  parseSearchParams,
  summarizeSearch,
} from '../../../../src/pgml/training/search-plan.js';
import { keyMetric } from '../../../../src/pgml/domain/task.js';

describe('search arguments', () => {
  it('defaults to n_iter 10 and cv 5 when searching, cv 1 otherwise', () => {
    assert.deepEqual(parseSearchArgs('grid', {}), { nIter: 10, cv: 5 });
    assert.deepEqual(parseSearchArgs(null, null), { nIter: 10, cv: 1 });
    assert.deepEqual(parseSearchArgs('random', '{"n_iter": 3, "cv": 2}'), { nIter: 3, cv: 2 });
  });

  it('refuses unknown keys, non-integers, bad JSON and unknown search kinds with 22023', () => {
    assert.throws(() => parseSearchArgs('grid', { folds: 3 }), { code: '22023', message: /unknown search_args key "folds"/ });
    assert.throws(() => parseSearchArgs('grid', { cv: 2.5 }), { code: '22023' });
    assert.throws(() => parseSearchArgs('grid', { n_iter: 0 }), { code: '22023' });
    assert.throws(() => parseSearchArgs('grid', '{nope'), { code: '22023' });
    assert.throws(() => parseSearch('bayes'), { code: '22023' });
    assert.equal(parseSearch(undefined), null);
  });

  it('search_params values must be non-empty arrays', () => {
    assert.deepEqual(parseSearchParams({ alpha: [1, 2] }), { alpha: [1, 2] });
    assert.throws(() => parseSearchParams({ alpha: 1 }), { code: '22023', message: /"alpha" must be a non-empty array/ });
    assert.throws(() => parseSearchParams({ alpha: [] }), { code: '22023' });
    assert.throws(() => parseSearchParams([1]), { code: '22023' });
  });
});

describe('hyperparamCandidates', () => {
  it('grid: the cartesian product, fixed hyperparams in every set', () => {
    const sets = hyperparamCandidates({ fit_intercept: true }, { alpha: [1, 2], max_iter: [10, 20, 30] }, 'grid', 10);
    assert.equal(sets.length, 6);
    assert.deepEqual(sets[0], { fit_intercept: true, alpha: 1, max_iter: 10 });
    assert.deepEqual(sets[5], { fit_intercept: true, alpha: 2, max_iter: 30 });
    assert.equal(new Set(sets.map((s) => JSON.stringify(s))).size, 6);
  });

  it('no search_params: one set, the hyperparams themselves (or empty)', () => {
    assert.deepEqual(hyperparamCandidates({ a: 1 }, {}, null, 10), [{ a: 1 }]);
    assert.deepEqual(hyperparamCandidates({}, {}, null, 10), [{}]);
  });

  it('random: n_iter distinct sets from the grid, reproducible with a seed', () => {
    const params = { alpha: [1, 2, 3, 4], beta: ['x', 'y', 'z'] };
    const a = hyperparamCandidates({}, params, 'random', 5, 11);
    assert.equal(a.length, 5);
    assert.equal(new Set(a.map((s) => JSON.stringify(s))).size, 5);
    assert.deepEqual(hyperparamCandidates({}, params, 'random', 5, 11), a);
    assert.equal(hyperparamCandidates({}, params, 'random', 50, 11).length, 12);
  });

  it('a name in both hyperparams and search_params is refused', () => {
    assert.throws(() => hyperparamCandidates({ alpha: 1 }, { alpha: [1, 2] }, 'grid', 10), {
      code: '22023',
      message: /"alpha" cannot be present in both/,
    });
  });
});

describe('kFolds', () => {
  it('contiguous folds of ⌊n/cv⌋ rows; the remainder always trains', () => {
    const folds = kFolds(11, 3);
    assert.equal(folds.length, 3);
    assert.deepEqual(folds[0]?.test, [0, 1, 2]);
    assert.deepEqual(folds[2]?.test, [6, 7, 8]);
    assert.deepEqual(folds[2]?.train, [0, 1, 2, 3, 4, 5, 9, 10]);
    assert.deepEqual(kFolds(11, 1), []);
    assert.throws(() => kFolds(2, 3), { code: '22023' });
  });
});

describe('keyMetric and summarizeSearch', () => {
  it('ranks by the key metric of the task', () => {
    assert.equal(keyMetric('regression'), 'r2');
    assert.equal(keyMetric('classification'), 'f1');
    assert.equal(keyMetric('clustering'), 'silhouette');
    assert.equal(keyMetric('decomposition'), 'cumulative_explained_variance');
  });

  it('picks the single best trial across folds and reports cv_results-style search_results', () => {
    const candidates = [{ alpha: 1 }, { alpha: 2 }];
    const trials = [
      { candidate: 0, fold: 0, metrics: { r2: 0.5, fit_time: 1, score_time: 0.1 } },
      { candidate: 1, fold: 0, metrics: { r2: 0.7, fit_time: 3, score_time: 0.1 } },
      { candidate: 0, fold: 1, metrics: { r2: 0.9, fit_time: 1, score_time: 0.3 } },
      { candidate: 1, fold: 1, metrics: { r2: Number.NaN, fit_time: 3, score_time: 0.1 } },
    ];
    const { bestTrial, searchResults } = summarizeSearch('regression', candidates, 2, trials);
    assert.equal(bestTrial, 2);
    assert.equal(searchResults.best_index, 0);
    assert.deepEqual(searchResults.mean_fit_time, [1, 3]);
    assert.deepEqual(searchResults.split0_test_score, [0.5, 0.7]);
    assert.deepEqual(searchResults.param_alpha, [1, 2]);
    assert.ok(Math.abs((searchResults.mean_test_score as number[])[0]! - 0.7) < 1e-12);
    assert.ok(Math.abs((searchResults.std_test_score as number[])[0]! - 0.2) < 1e-12);
    assert.equal(searchResults.n_splits, 2);
  });

  it('fails clearly when no trial has the key metric', () => {
    assert.throws(() => summarizeSearch('classification', [{}], 1, [{ candidate: 0, fold: 0, metrics: { r2: 1 } }]), {
      code: '22000',
    });
  });
});
