/**
 * The model page's plots, by task, from the held-out sample stored at training time
 * (pgml.model_test_results) and, for a search, from metrics.search_results.
 */
import { bars, chart, Plot } from '../charts';
import { formatNumber } from '../dom';

export interface TestResults {
  test_rows: number;
  results: {
    rows: number;
    y_true?: number[];
    y_pred?: number[];
    y_score?: number[][] | null;
    classes?: string[];
    explained_variance?: number[];
    importance?: { feature: string; importance: number }[];
  };
}

export function modelPlots(task: string, test: TestResults | null, searchResults: Record<string, unknown> | undefined): HTMLElement[] {
  const plots: HTMLElement[] = [];
  const r = test?.results;
  const sampleNote = test ? `${r?.rows} of ${test.test_rows} held-out rows` : '';
  if (r && task === 'classification' && r.y_true && r.y_pred) plots.push(...classificationPlots(r.y_true, r.y_pred, r.y_score ?? null, r.classes ?? [], sampleNote));
  if (r && task === 'regression' && r.y_true && r.y_pred) plots.push(...regressionPlots(r.y_true, r.y_pred, sampleNote));
  if (r && task === 'clustering' && r.y_pred) {
    const sizes = new Map<number, number>();
    for (const c of r.y_pred) sizes.set(c, (sizes.get(c) ?? 0) + 1);
    const items = [...sizes].sort((a, b) => a[0] - b[0]).map(([c, n]) => ({ label: `cluster ${c}`, value: n }));
    plots.push(bars('cluster-sizes', 'Cluster sizes', `How many of the ${sampleNote} each of the ${items.length} clusters holds.`, items, 'rows'));
  }
  if (r?.explained_variance) {
    const items = r.explained_variance.map((v, i) => ({ label: `component ${i + 1}`, value: v }));
    plots.push(bars('explained-variance', 'Explained variance', `Share of the held-out rows' variance each of the ${items.length} components carries.`, items, 'share of variance'));
  }
  if (r?.importance) {
    const items = [...r.importance].sort((a, b) => b.importance - a.importance);
    plots.push(
      chart({
        name: 'feature-importance',
        title: 'Feature importance',
        description: `How much the score drops when each of the ${items.length} features is shuffled (permutation importance on ${sampleNote}).`,
        plot: {
          height: Math.max(160, 40 + 22 * items.length),
          marginLeft: 140,
          x: { label: 'score drop', grid: true },
          y: { label: null, domain: items.map((i) => i.feature) },
          marks: [Plot.barX(items, { x: 'importance', y: 'feature', fill: '#8aa4c8' }), Plot.ruleX([0])],
        },
        data: { head: ['feature', 'score drop'], rows: items.map((i) => [i.feature, formatNumber(i.importance)]) },
      }),
    );
  }
  if (searchResults) plots.push(...searchPlots(searchResults));
  return plots;
}

function classificationPlots(yTrue: number[], yPred: number[], yScore: number[][] | null, classes: string[], note: string): HTMLElement[] {
  const k = Math.max(classes.length, ...yTrue.map((v) => v + 1), ...yPred.map((v) => v + 1));
  const name = (c: number) => classes[c] ?? String(c);
  const cells: { actual: string; predicted: string; count: number }[] = [];
  for (let a = 0; a < k; a++) for (let p = 0; p < k; p++) cells.push({ actual: name(a), predicted: name(p), count: 0 });
  yTrue.forEach((a, i) => cells[a * k + (yPred[i] as number)]!.count++);
  const plots = [
    chart({
      name: 'confusion-matrix',
      title: 'Confusion matrix',
      description: `Held-out rows by actual class (rows) and predicted class (columns), ${note}.`,
      plot: {
        height: 60 + 40 * k,
        width: 100 + 60 * k,
        marginLeft: 80,
        x: { label: 'predicted', domain: cells.slice(0, k).map((c) => c.predicted) },
        y: { label: 'actual', domain: cells.slice(0, k).map((c) => c.predicted) },
        color: { scheme: 'blues' },
        marks: [
          Plot.cell(cells, { x: 'predicted', y: 'actual', fill: 'count', ariaLabel: (d: { actual: string; predicted: string; count: number }) => `actual ${d.actual}, predicted ${d.predicted}: ${d.count}` }),
          Plot.text(cells, { x: 'predicted', y: 'actual', text: 'count', fill: 'black' }),
        ],
      },
      data: { head: ['actual \\ predicted', ...cells.slice(0, k).map((c) => c.predicted)], rows: Array.from({ length: k }, (_, a) => [name(a), ...cells.slice(a * k, a * k + k).map((c) => c.count)]) },
    }),
  ];
  if (yScore === null) return plots;
  // Binary: the positive class; several classes: each class against the rest.
  const positives = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
  const roc: { cls: string; fpr: number; tpr: number }[] = [];
  const pr: { cls: string; recall: number; precision: number }[] = [];
  for (const c of positives) {
    const curve = curves(yTrue.map((t) => t === c), yScore.map((s) => s[c] ?? 0));
    roc.push(...curve.roc.map((p) => ({ cls: name(c), ...p })));
    pr.push(...curve.pr.map((p) => ({ cls: name(c), ...p })));
  }
  const square = { height: 300, width: 360, x: { domain: [0, 1] }, y: { domain: [0, 1], grid: true }, color: { type: 'ordinal' as const, legend: positives.length > 1 } };
  plots.push(
    chart({
      name: 'roc-curve',
      title: 'ROC curve',
      description: `True against false positive rate as the threshold falls, for ${positives.length === 1 ? `class ${name(1)}` : 'each class against the rest'}, ${note}.`,
      plot: { ...square, x: { ...square.x, label: 'false positive rate' }, y: { ...square.y, label: 'true positive rate' }, marks: [diagonal(0, 1), Plot.line(roc, { x: 'fpr', y: 'tpr', z: 'cls', stroke: 'cls' })] },
      data: { head: ['class', 'false positive rate', 'true positive rate'], rows: roc.map((p) => [p.cls, formatNumber(p.fpr), formatNumber(p.tpr)]) },
    }),
    chart({
      name: 'pr-curve',
      title: 'Precision-recall curve',
      description: `Precision against recall as the threshold falls, for ${positives.length === 1 ? `class ${name(1)}` : 'each class against the rest'}, ${note}.`,
      plot: { ...square, x: { ...square.x, label: 'recall' }, y: { ...square.y, label: 'precision' }, marks: [Plot.line(pr, { x: 'recall', y: 'precision', z: 'cls', stroke: 'cls' })] },
      data: { head: ['class', 'recall', 'precision'], rows: pr.map((p) => [p.cls, formatNumber(p.recall), formatNumber(p.precision)]) },
    }),
  );
  return plots;
}

/** ROC and precision-recall points at every distinct score threshold, highest first. */
function curves(truth: boolean[], scores: number[]): { roc: { fpr: number; tpr: number }[]; pr: { recall: number; precision: number }[] } {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const positives = truth.filter(Boolean).length;
  const negatives = truth.length - positives;
  const roc = [{ fpr: 0, tpr: 0 }];
  const pr: { recall: number; precision: number }[] = [];
  let tp = 0;
  let fp = 0;
  order.forEach(([score, i], j) => {
    if (truth[i]) tp++;
    else fp++;
    if (j + 1 < order.length && order[j + 1]![0] === score) return;
    roc.push({ fpr: negatives === 0 ? 0 : fp / negatives, tpr: positives === 0 ? 0 : tp / positives });
    pr.push({ recall: positives === 0 ? 0 : tp / positives, precision: tp / (tp + fp) });
  });
  return { roc, pr };
}

function regressionPlots(yTrue: number[], yPred: number[], note: string): HTMLElement[] {
  const points = yTrue.map((actual, i) => ({ actual, predicted: yPred[i] as number, residual: actual - (yPred[i] as number) }));
  const lo = Math.min(...yTrue, ...yPred);
  const hi = Math.max(...yTrue, ...yPred);
  const rows = points.map((p) => [formatNumber(p.actual), formatNumber(p.predicted), formatNumber(p.residual)]);
  return [
    chart({
      name: 'predicted-vs-actual',
      title: 'Predicted vs actual',
      description: `Each sampled held-out row (${note}) by its actual and predicted value; the diagonal is a perfect prediction.`,
      plot: {
        height: 320,
        width: 380,
        x: { label: 'actual', grid: true },
        y: { label: 'predicted', grid: true },
        marks: [diagonal(lo, hi), Plot.dot(points, { x: 'actual', y: 'predicted', r: 2.5, fill: '#1f5fae' })],
      },
      data: { head: ['actual', 'predicted', 'residual'], rows },
    }),
    chart({
      name: 'residuals',
      title: 'Residuals',
      description: `Actual minus predicted for each of the ${points.length} sampled held-out rows, against the prediction.`,
      plot: {
        height: 260,
        x: { label: 'predicted', grid: true },
        y: { label: 'residual', grid: true },
        marks: [Plot.ruleY([0], { stroke: '#bbb' }), Plot.dot(points, { x: 'predicted', y: 'residual', r: 2.5, fill: '#d9822b' })],
      },
      data: { head: ['actual', 'predicted', 'residual'], rows },
    }),
  ];
}

/** One plot per searched hyperparameter: each candidate's mean cross-validated score against its value. */
function searchPlots(results: Record<string, unknown>): HTMLElement[] {
  const params = results.params as Record<string, unknown>[] | undefined;
  const scores = results.mean_test_score as number[] | undefined;
  if (!params || !scores) return [];
  const names = [...new Set(params.flatMap((p) => Object.keys(p)))].filter((n) => new Set(params.map((p) => JSON.stringify(p[n]))).size > 1);
  return names.map((n) => {
    const points = params.map((p, i) => ({ value: typeof p[n] === 'number' ? (p[n] as number) : String(p[n]), score: scores[i] as number, best: i === results.best_index }));
    return chart({
      name: `search-${n}`,
      title: `Score vs ${n}`,
      description: `Mean test score of each of the ${points.length} searched candidates by its ${n}; the chosen one is orange.`,
      plot: {
        height: 240,
        x: { label: n, grid: true, type: axisType(points.map((p) => p.value)) },
        y: { label: 'mean test score', grid: true },
        color: { domain: [false, true], range: ['#1f5fae', '#d9822b'] },
        marks: [Plot.dot(points, { x: 'value', y: 'score', fill: 'best', r: 5 })],
      },
      data: { head: [n, 'mean test score'], rows: points.map((p) => [String(p.value), formatNumber(p.score)]) },
    });
  });
}

/** The y = x reference, a link mark so that the `line` marks are the data's curves only. */
function diagonal(lo: number, hi: number): Plot.Markish {
  return Plot.link([{ lo, hi }], { x1: 'lo', y1: 'lo', x2: 'hi', y2: 'hi', stroke: '#bbb', strokeDasharray: '4' });
}

/** Searched values: text as points, positive numbers spanning a factor of 10 or more on a log axis. */
function axisType(values: (number | string)[]): 'point' | 'log' | 'linear' {
  if (values.some((v) => typeof v !== 'number')) return 'point';
  const numbers = values as number[];
  return Math.min(...numbers) > 0 && Math.max(...numbers) / Math.min(...numbers) >= 10 ? 'log' : 'linear';
}
