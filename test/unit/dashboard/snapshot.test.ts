import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSample } from '../../../src/dashboard/snapshot.js';

test('numeric columns get a 20-bin histogram and their correlation with a numeric label', () => {
  const rows = Array.from({ length: 100 }, (_, i) => [i, -2 * i + 1, i % 2 === 0 ? 'even' : 'odd', i % 10 === 0 ? null : 3 * i]);
  const [x, y, parity, label] = summarizeSample(['x', 'y', 'parity', 'label'], rows, ['label']);
  assert.equal(x!.kind, 'numeric');
  assert.equal(x!.histogram!.length, 20);
  assert.equal(x!.histogram!.reduce((sum, b) => sum + b.count, 0), 100);
  assert.deepEqual([x!.histogram![0]!.x0, x!.histogram![19]!.x1], [0, 99]);
  // Rows whose label is NULL are left out of the pairs: x and y are exactly linear in the label.
  assert.ok(Math.abs(x!.correlation! - 1) < 1e-12);
  assert.ok(Math.abs(y!.correlation! + 1) < 1e-12);
  assert.deepEqual(parity!.categories, [{ value: 'even', count: 50 }, { value: 'odd', count: 50 }]);
  assert.equal(parity!.correlation, undefined);
  assert.equal(label!.label, true);
  assert.equal(label!.nulls, 10);
  assert.equal(label!.correlation, undefined);
});

test('a constant column has one bin and no correlation; a text label gives none', () => {
  const [constant] = summarizeSample(['c', 'l'], [[5, 'a'], [5, 'b'], [5, 'a']], ['l']);
  assert.deepEqual(constant!.histogram, [{ x0: 5, x1: 5, count: 3 }]);
  assert.equal(constant!.correlation, undefined);
});
