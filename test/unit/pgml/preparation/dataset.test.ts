import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeColumn, normalizePgType } from '../../../../src/pgml/preparation/columns.js';
import { buildDataset, decodeClass, type DatasetInput } from '../../../../src/pgml/preparation/dataset.js';
import { FeaturePipeline } from '../../../../src/pgml/preparation/pipeline.js';
import { analyze } from '../../../../src/pgml/preparation/statistics.js';

const base = (over: Partial<DatasetInput>): DatasetInput => ({
  task: 'regression',
  columns: [],
  rows: [],
  yColumnNames: ['y'],
  testSize: 0,
  testSampling: 'last',
  ...over,
});

describe('column types', () => {
  it('normalizes catalog spellings', () => {
    assert.equal(normalizePgType('_float4'), 'float4[]');
    assert.equal(normalizePgType('REAL[]'), 'float4[]');
    assert.equal(normalizePgType('double precision'), 'float8');
    assert.equal(normalizePgType('numeric(10,2)'), 'numeric');
    assert.equal(normalizePgType('character varying'), 'varchar');
  });

  it('refuses types PostgresML cannot train on', () => {
    assert.throws(() => describeColumn({ name: 'd', type: 'date' }), { code: '0A000', message: /"d"/ });
    assert.throws(() => describeColumn({ name: 'tags', type: '_text' }), { code: '0A000' });
    assert.equal(describeColumn({ name: 'c', type: 'text' }).kind, 'categorical');
  });
});

describe('statistics', () => {
  it('skips NaN, takes the upper median, population variance and the middle mode', () => {
    const s = analyze([3, 1, Number.NaN, 2, 2, 4, 4, 10])!;
    assert.equal(s.missing, 1);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    assert.equal(s.median, 3);
    assert.equal(s.mean, 26 / 7);
    assert.ok(Math.abs(s.variance - [1, 2, 2, 3, 4, 4, 10].reduce((a, v) => a + (v - 26 / 7) ** 2, 0) / 7) < 1e-12);
    assert.equal(s.mode, 4); // 2 and 4 both occur twice: PostgresML takes the middle of [2, 4]
    assert.equal(s.distinct, 5);
    assert.equal(s.histogram.reduce((a, b) => a + b, 0), 7);
    assert.equal(s.ventiles.length, 19);
    assert.equal(analyze([Number.NaN]), undefined);
  });
});

describe('buildDataset features', () => {
  it('numbers, numeric strings, booleans and arrays become one float per value, arrays expanded', () => {
    const d = buildDataset(
      base({
        columns: [
          { name: 'a', type: 'int8' },
          { name: 'b', type: 'bool' },
          { name: 'e', type: '_float4' },
          { name: 'y', type: 'numeric' },
        ],
        rows: [
          ['1', true, [0.5, 1.5], '2.5'],
          [2, false, [1, 2], 3],
        ],
      }),
    );
    assert.equal(d.numFeatures, 4);
    assert.deepEqual([...d.xTrain], [1, 1, 0.5, 1.5, 2, 0, 1, 2]);
    assert.deepEqual([...d.yTrain], [2.5, 3]);
    assert.deepEqual(d.pipeline.featureNames(), ['a', 'b', 'e[1]', 'e[2]']);
    assert.equal(d.snapshotColumns[2]?.size, 2);
  });

  it('refuses arrays of different lengths and NULL arrays', () => {
    const columns = [
      { name: 'e', type: 'float4[]' },
      { name: 'y', type: 'float4' },
    ];
    assert.throws(() => buildDataset(base({ columns, rows: [[[1, 2], 1], [[1], 2]] })), {
      code: '22023',
      message: /mismatched array length for feature "e": expected 2, received 1/,
    });
    assert.throws(() => buildDataset(base({ columns, rows: [[null, 1]] })), { code: '22004' });
  });

  it('NULL with impute "error" names the column; "mean" imputes from the training split only', () => {
    const columns = [
      { name: 'x', type: 'float8' },
      { name: 'y', type: 'float8' },
    ];
    const rows = [[1, 0], [null, 0], [3, 0], [1000, 0]];
    assert.throws(() => buildDataset(base({ columns, rows })), { code: '22004', message: /1 missing values for column "x"/ });
    const d = buildDataset(base({ columns, rows, testSize: 0.25, preprocess: { x: { impute: 'mean' } } }));
    assert.deepEqual([...d.xTrain], [1, 2, 3]);
    assert.deepEqual([...d.xTest], [1000]);
    assert.deepEqual([...d.pipeline.transformRow([null])], [2]);
  });

  it('scales with training statistics: standard, min_max, max_abs, robust', () => {
    const columns = [
      { name: 's', type: 'float4' },
      { name: 'm', type: 'float4' },
      { name: 'a', type: 'float4' },
      { name: 'r', type: 'float4' },
      { name: 'y', type: 'float4' },
    ];
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const d = buildDataset(
      base({
        columns,
        rows: values.map((v) => [v, v, -v, v, 0]),
        preprocess: { s: { scale: 'standard' }, m: { scale: 'min_max' }, a: { scale: 'max_abs' }, r: { scale: 'robust' } },
      }),
    );
    const row = [...d.pipeline.transformRow([9, 9, -9, 9])];
    assert.ok(Math.abs(row[0]! - (9 - 5) / 2) < 1e-6); // mean 5, population std 2
    assert.equal(row[1], 1);
    assert.equal(row[2], -1);
    const s = d.pipeline.features[3]!.statistics;
    assert.ok(Math.abs(row[3]! - (9 - s.median) / (s.ventiles[15]! - s.ventiles[5]!)) < 1e-6);
    // A constant column scales to 0 rather than NaN.
    const c = buildDataset(base({ columns: [columns[0]!, columns[4]!], rows: [[3, 0], [3, 1]], preprocess: { s: { scale: 'standard' } } }));
    assert.deepEqual([...c.xTrain], [0, 0]);
  });

  it('text defaults to native codes in order of appearance, NULL as 0; unseen values need an impute rule', () => {
    const columns = [
      { name: 'color', type: 'text' },
      { name: 'y', type: 'float4' },
    ];
    const rows = [['red', 1], ['blue', 2], [null, 3], ['red', 4]];
    const d = buildDataset(base({ columns, rows }));
    assert.deepEqual([...d.xTrain], [1, 2, 0, 1]);
    assert.throws(() => d.pipeline.transformRow(['green']), { code: '22023', message: /"green", which was not in the training data/ });
    const m = buildDataset(base({ columns, rows, preprocess: { color: { impute: 'mode' } } }));
    assert.deepEqual([...m.pipeline.transformRow(['green'])], [1]);
    assert.throws(() => buildDataset(base({ columns, rows, preprocess: { color: { impute: 'mean' } } })), { code: '22023' });
  });

  it('one_hot gives each category its slot and NULL none; ordinal follows the given order', () => {
    const columns = [
      { name: 'size', type: 'varchar' },
      { name: 'y', type: 'float4' },
    ];
    const rows = [['s', 1], ['l', 2], ['m', 3], [null, 4]];
    const hot = buildDataset(base({ columns, rows, preprocess: { size: { encode: 'one_hot' } } }));
    assert.equal(hot.numFeatures, 3);
    assert.deepEqual([...hot.xTrain], [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    assert.deepEqual(hot.pipeline.featureNames(), ['size=s', 'size=l', 'size=m']);
    const ord = buildDataset(base({ columns, rows, preprocess: { size: { encode: { ordinal: ['s', 'm', 'l'] } } } }));
    assert.deepEqual([...ord.xTrain], [1, 3, 2, 0]);
    assert.throws(
      () => buildDataset(base({ columns, rows, preprocess: { size: { encode: { ordinal: ['s', 'm'] } } } })),
      { code: '22023', message: /"l" of column "size" is not in its ordinal encoding/ },
    );
  });

  it('target encoding trains and predicts with the mean label of each category', () => {
    const columns = [
      { name: 'city', type: 'text' },
      { name: 'y', type: 'float8' },
    ];
    const rows = [['a', 10], ['b', 1], ['a', 20], ['b', 3]];
    const d = buildDataset(base({ columns, rows, preprocess: { city: { encode: 'target' } } }));
    assert.deepEqual([...d.xTrain], [15, 2, 15, 2]);
    assert.deepEqual([...d.pipeline.transformRow({ city: 'b' })], [2]);
  });

  it('reads a row by position only at the model\'s arity, and by name only with every feature column', () => {
    const columns = [
      { name: 'x', type: 'float8' },
      { name: 'city', type: 'text' },
      { name: 'y', type: 'float8' },
    ];
    const rows = [[1, 'a', 10], [2, 'b', 1], [3, 'a', 20], [4, 'b', 3]];
    const d = buildDataset(base({ columns, rows, preprocess: { city: { encode: 'target' } } }));
    assert.deepEqual([...d.pipeline.transformRow({ y: 99, city: 'b', x: 4 })], [...d.pipeline.transformRow([4, 'b'])]);
    assert.throws(() => d.pipeline.transformRow([4]), { code: '42804', message: 'the row has 1 values, but the model takes 2 features: x, city' });
    assert.throws(() => d.pipeline.transformRow([4, 'b', 3]), { code: '42804' });
    assert.throws(() => d.pipeline.transformRow({ x: 4, y: 3 }), { code: '42804', message: 'the row lacks the model\'s feature column "city"' });
  });

  it('refuses bad preprocess JSON and preprocessors for unknown columns', () => {
    const columns = [
      { name: 'x', type: 'float4' },
      { name: 'y', type: 'float4' },
    ];
    const rows = [[1, 1], [2, 2]];
    assert.throws(() => buildDataset(base({ columns, rows, preprocess: { z: { impute: 'mean' } } })), { code: '42703' });
    assert.throws(() => buildDataset(base({ columns, rows, preprocess: { x: { impute: 'average' } } })), { code: '22023' });
    assert.throws(() => buildDataset(base({ columns, rows, preprocess: { x: { scal: 'standard' } } })), { code: '22023' });
    assert.throws(() => buildDataset(base({ columns, rows, preprocess: { x: { encode: 'one_hot' } } })), { code: '22023' });
  });

  it('the fitted pipeline survives JSON and transforms new rows identically', () => {
    const columns = [
      { name: 'c', type: 'text' },
      { name: 'n', type: 'float8' },
      { name: 'e', type: 'float4[]' },
      { name: 'y', type: 'float8' },
    ];
    const rows = [['x', 1, [1, 2], 0], ['y', null, [3, 4], 1], [null, 5, [5, 6], 0]];
    const d = buildDataset(
      base({ columns, rows, preprocess: { c: { encode: 'one_hot' }, n: { impute: 'median', scale: 'standard' }, e: { scale: 'min_max' } } }),
    );
    const restored = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(d.pipeline)));
    for (const row of [['y', null, [2, 2]], [null, 3, [6, 1]]]) {
      assert.deepEqual([...restored.transformRow(row)], [...d.pipeline.transformRow(row)]);
    }
    assert.deepEqual([...restored.transformBatch(rows.map((r) => r.slice(0, 3)))], [...d.xTrain]);
    assert.throws(() => restored.transformNumeric([1, 2, 3, 4]), { code: '22023' });
  });

  it('transformNumeric imputes and scales an already numeric vector', () => {
    const columns = [
      { name: 'a', type: 'float8' },
      { name: 'y', type: 'float8' },
    ];
    const d = buildDataset(base({ columns, rows: [[0, 0], [10, 0]], preprocess: { a: { scale: 'min_max', impute: 'max' } } }));
    assert.deepEqual([...d.pipeline.transformNumeric([5])], [0.5]);
    assert.deepEqual([...d.pipeline.transformNumeric([Number.NaN])], [1]);
    assert.throws(() => d.pipeline.transformNumeric([1, 2]), { code: '22023' });
  });
});

describe('buildDataset labels and splits', () => {
  const columns = [
    { name: 'x', type: 'float4' },
    { name: 'label', type: 'text' },
  ];

  it('classification maps labels to sorted class indexes and back', () => {
    const rows = [[1, 'dog'], [2, 'cat'], [3, 'dog'], [4, 'bird']];
    const d = buildDataset(base({ task: 'classification', columns, rows, yColumnNames: ['label'] }));
    assert.equal(d.numClasses, 3);
    assert.deepEqual([...d.yTrain], [2, 1, 2, 0]);
    assert.equal(d.numFeatures, 1);
    assert.equal(decodeClass(d.labels!, 1), 'cat');
    assert.throws(() => decodeClass(d.labels!, 3), { code: 'XX001' });
  });

  it('numeric and boolean class labels keep their values; the larger is the positive class', () => {
    const bool = buildDataset(
      base({ task: 'classification', columns: [columns[0]!, { name: 'ok', type: 'bool' }], rows: [[1, true], [2, false]], yColumnNames: ['ok'] }),
    );
    assert.deepEqual(bool.labels, { kind: 'classes', column: 'ok', pgType: 'bool', classes: [false, true] });
    const ints = buildDataset(
      base({ task: 'classification', columns: [columns[0]!, { name: 'k', type: 'int8' }], rows: [[1, '10'], [2, '9']], yColumnNames: ['k'] }),
    );
    assert.deepEqual(ints.labels?.kind === 'classes' && ints.labels.classes, [9, 10]);
  });

  it('one class in the training split, NULL labels, a missing label column are refused', () => {
    assert.throws(
      () => buildDataset(base({ task: 'classification', columns, rows: [[1, 'a'], [2, 'a'], [3, 'b']], yColumnNames: ['label'], testSize: 0.34 })),
      { code: '22023', message: /at least 2 classes in the training data, found 1 \(the relation has 2\)/ },
    );
    assert.throws(() => buildDataset(base({ task: 'classification', columns, rows: [[1, null], [2, 'a']], yColumnNames: ['label'] })), {
      code: '22004',
    });
    assert.throws(() => buildDataset(base({ task: 'classification', columns, rows: [[1, 'a']], yColumnNames: ['nope'] })), {
      code: '42703',
    });
    assert.throws(() => buildDataset(base({ task: 'regression', columns, rows: [[1, 'a']], yColumnNames: [] })), { code: '22023' });
  });

  it('statistics come from the training rows only, and stratified splits per label', () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i, i % 4 === 0 ? 'rare' : 'common']);
    const d = buildDataset(
      base({ task: 'classification', columns, rows, yColumnNames: ['label'], testSize: 0.25, testSampling: 'stratified', seed: 5 }),
    );
    assert.equal(d.numTestRows, 5);
    assert.equal([...d.yTest].filter((y) => y === 1).length, 1); // 'rare' sorts after 'common'
    const trainX = [...d.xTrain];
    assert.equal(d.pipeline.features[0]!.statistics.max, Math.max(...trainX));
    assert.equal(d.pipeline.features[0]!.statistics.mean, trainX.reduce((a, b) => a + b, 0) / trainX.length);
  });

  it('clustering takes no label and ignores named label columns as features', () => {
    const d = buildDataset(base({ task: 'clustering', columns: [columns[0]!], rows: [[1], [2], [3]], yColumnNames: [] }));
    assert.equal(d.numLabels, 0);
    assert.equal(d.yTrain.length, 0);
    assert.equal(d.labels, null);
    assert.deepEqual(d.analysis, { samples: 3 });
  });
});
