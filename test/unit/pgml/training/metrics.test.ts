import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  classificationMetrics,
  confusionMatrix,
  cumulativeExplainedVariance,
  explainedVarianceRatio,
  regressionMetrics,
  silhouetteScore,
} from '../../../../src/pgml/training/metrics.js';
import { createRandom } from '../../../../src/pgml/preparation/sampling.js';
import { sklearn, sklearnMissing } from './sklearn.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

function ints(random: () => number, n: number, k: number): number[] {
  return Array.from({ length: n }, () => Math.floor(random() * k));
}

// One Python run answers every case: importing scikit-learn costs seconds on this machine.
const ORACLE = `from sklearn import metrics as m
from sklearn.decomposition import PCA
def answer(case):
    kind, t, p = case['kind'], case.get('t'), case.get('p')
    if kind == 'regression':
        return {'r2': m.r2_score(t, p), 'mean_absolute_error': m.mean_absolute_error(t, p),
                'mean_squared_error': m.mean_squared_error(t, p)}
    if kind == 'binary':
        s = np.array(case['s'], dtype=np.float64)
        return {'f1': m.f1_score(t, p, zero_division=0), 'precision': m.precision_score(t, p, zero_division=0),
                'recall': m.recall_score(t, p, zero_division=0), 'accuracy': m.accuracy_score(t, p),
                'mcc': m.matthews_corrcoef(t, p), 'roc_auc': m.roc_auc_score(t, s), 'log_loss': m.log_loss(t, s, labels=[0, 1])}
    if kind == 'multiclass':
        L = list(range(case['k']))
        return {'f1': m.f1_score(t, p, labels=L, average='macro', zero_division=0),
                'precision': m.precision_score(t, p, labels=L, average='macro', zero_division=0),
                'recall': m.recall_score(t, p, labels=L, average='macro', zero_division=0),
                'accuracy': m.accuracy_score(t, p), 'mcc': m.matthews_corrcoef(t, p)}
    if kind == 'silhouette':
        return float(m.silhouette_score(np.array(case['x']).reshape(-1, case['cols']), case['l']))
    if kind == 'pca':
        pca = PCA(n_components=2).fit(np.array(case['x']).reshape(-1, case['cols']))
        return {'components': pca.components_.ravel().tolist(), 'ratios': pca.explained_variance_ratio_.tolist()}
result = [answer(case) for case in data]`;

type Case = Record<string, unknown> & { kind: string };

function buildCases(): Case[] {
  const random = createRandom(1);
  const cases: Case[] = [];
  for (let trial = 0; trial < 5; trial++) {
    const t = Array.from({ length: 40 }, () => random() * 10 - 5);
    cases.push({ kind: 'regression', t, p: t.map((y) => y + (random() - 0.5) * 4) });
  }
  for (let trial = 0; trial < 5; trial++) {
    const t = ints(random, 50, 2);
    const s = t.map((y) => Math.min(1, Math.max(0, y * 0.4 + random() * 0.6)));
    cases.push({ kind: 'binary', t, p: s.map((v) => (v >= 0.5 ? 1 : 0)), s });
  }
  // Hard predictions as scores: ties everywhere, and log_loss clipping at both ends.
  const t = [0, 0, 1, 1, 1, 0, 1, 0, 0, 1];
  const p = [0, 1, 1, 1, 0, 0, 1, 1, 0, 1];
  cases.push({ kind: 'binary', t, p, s: p, hard: true });
  for (let trial = 0; trial < 5; trial++) {
    const t = ints(random, 60, 4);
    // Skewed predictions so precision and recall differ, and class 3 is sometimes never predicted.
    cases.push({ kind: 'multiclass', k: 4, t, p: t.map((y) => (random() < 0.6 ? y : Math.floor(random() * 3))) });
  }
  const labels = ints(random, 30, 3);
  labels[0] = 7; // a cluster of one point
  cases.push({ kind: 'silhouette', cols: 3, x: Array.from({ length: 90 }, () => random() * 10), l: labels });
  cases.push({ kind: 'pca', cols: 4, x: Array.from({ length: 200 }, (_, i) => random() * ((i % 4) + 1)) });
  return cases;
}

describe('metrics against scikit-learn', { skip: sklearnMissing }, () => {
  const cases = buildCases();
  let answers: unknown[] = [];
  before(() => {
    answers = sklearn<unknown[]>(ORACLE, cases);
  });
  const each = (kind: string, check: (c: Case, answer: unknown) => void): void =>
    cases.forEach((c, i) => {
      if (c.kind === kind) check(c, answers[i]);
    });

  it('regression: r2, mean_absolute_error, mean_squared_error', () => {
    each('regression', (c, answer) => {
      const ours = regressionMetrics(c.t as number[], c.p as number[]);
      for (const [key, value] of Object.entries(answer as Record<string, number>)) {
        close(ours[key as keyof typeof ours], value, key);
      }
    });
  });

  it('binary: positive-class f1/precision/recall, mcc, and roc_auc/log_loss on probabilities or hard predictions', () => {
    each('binary', (c, answer) => {
      const ours = classificationMetrics(c.t as number[], c.p as number[], 2, c.hard ? undefined : (c.s as number[]));
      for (const [key, value] of Object.entries(answer as Record<string, number>)) {
        close(ours[key as keyof typeof ours] as number, value, key);
      }
    });
  });

  it('multiclass: macro f1/precision/recall over all classes, accuracy, mcc; no roc_auc', () => {
    each('multiclass', (c, answer) => {
      const ours = classificationMetrics(c.t as number[], c.p as number[], 4);
      for (const [key, value] of Object.entries(answer as Record<string, number>)) {
        close(ours[key as keyof typeof ours] as number, value, key);
      }
      assert.equal(ours.roc_auc, undefined);
      assert.equal(ours.log_loss, undefined);
    });
  });

  it('silhouette matches silhouette_score, singletons included', () => {
    each('silhouette', (c, answer) => {
      close(silhouetteScore(c.x as number[], 30, 3, c.l as number[]), answer as number, 'silhouette');
    });
  });

  it("explained variance ratios of PCA's components match explained_variance_ratio_", () => {
    each('pca', (c, answer) => {
      const { components, ratios } = answer as { components: number[]; ratios: number[] };
      const ours = explainedVarianceRatio(c.x as number[], 50, 4, components, 2);
      ours.forEach((r, k) => close(r, ratios[k] as number, `ratio ${k}`));
      close(cumulativeExplainedVariance(ours), (ratios[0] as number) + (ratios[1] as number), 'cumulative');
    });
  });
});

describe('metrics edge cases', () => {
  it('r2 of a constant target is 1 when exact, else 0', () => {
    assert.equal(regressionMetrics([2, 2, 2], [2, 2, 2]).r2, 1);
    assert.equal(regressionMetrics([2, 2, 2], [2, 3, 2]).r2, 0);
  });

  it('confusion matrix rows are true classes', () => {
    assert.deepEqual(confusionMatrix([0, 0, 1, 2], [0, 1, 1, 1], 3), [
      [1, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
    ]);
  });

  it('refuses mismatched lengths, empty input, out-of-range classes and a single cluster', () => {
    assert.throws(() => regressionMetrics([1, 2], [1]), { code: '22023' });
    assert.throws(() => regressionMetrics([], []), { code: '22023' });
    assert.throws(() => classificationMetrics([0, 3], [0, 1], 2), { code: '22023' });
    assert.throws(() => silhouetteScore([0, 1, 2], 3, 1, [0, 0, 0]), { code: '22023' });
  });

  it('roc_auc is NaN when the test set has one class', () => {
    assert.ok(Number.isNaN(classificationMetrics([1, 1], [1, 0], 2).roc_auc as number));
  });

  it('macro averages run over the classes present in the labels or predictions, as scikit-learn', () => {
    // sklearn.metrics.f1_score([2, 2, 2, 2], [2, 2, 1, 2], average='macro') == 0.42857142857142855
    const m = classificationMetrics([2, 2, 2, 2], [2, 2, 1, 2], 3);
    assert.ok(Math.abs(m.f1 - 0.42857142857142855) < 1e-12, `f1 ${m.f1}`);
    assert.ok(Math.abs(m.precision - 0.5) < 1e-12);
    assert.ok(Math.abs(m.recall - 0.375) < 1e-12);
  });
});
