// pgml.load_dataset through the proxy: PostgresML's toy tables, created on the caller's session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';

interface Expected {
  rows: number;
  /** [column name, information_schema data_type] in table order, as PostgresML's dataset.rs creates them. */
  columns: [string, string][];
}

const breastCancerFeatures = [
  'radius', 'texture', 'perimeter', 'area', 'smoothness',
  'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension',
];

const EXPECTED: Record<string, Expected> = {
  breast_cancer: {
    rows: 569,
    columns: [
      ...[
        ...breastCancerFeatures.map((f) => `mean ${f}`),
        ...breastCancerFeatures.map((f) => `${f} error`),
        ...breastCancerFeatures.map((f) => `worst ${f}`),
      ].map((name): [string, string] => [name, 'real']),
      ['malignant', 'boolean'],
    ],
  },
  diabetes: {
    rows: 442,
    columns: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target'].map((n): [string, string] => [n, 'real']),
  },
  digits: { rows: 1797, columns: [['image', 'ARRAY'], ['target', 'smallint']] },
  iris: {
    rows: 150,
    columns: [
      ['sepal_length', 'real'], ['sepal_width', 'real'], ['petal_length', 'real'], ['petal_width', 'real'], ['target', 'integer'],
    ],
  },
  linnerud: {
    rows: 20,
    columns: ['chins', 'situps', 'jumps', 'weight', 'waist', 'pulse'].map((n): [string, string] => [n, 'real']),
  },
  wine: {
    rows: 178,
    columns: [
      ...[
        'alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols', 'flavanoids',
        'nonflavanoid_phenols', 'proanthocyanins', 'hue', 'color_intensity', 'od280/od315_of_diluted_wines', 'proline',
      ].map((n): [string, string] => [n, 'real']),
      ['target', 'integer'],
    ],
  },
};

describeTargets('pgml.load_dataset', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    // The target's own after hook may stop the server before ours ends the client.
    client.on('error', () => undefined);
    await client.connect();
  });
  after(async () => {
    await client?.end();
  });

  async function columnsOf(table: string): Promise<[string, string][]> {
    const r = await client.query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns
        where table_schema = 'pgml' and table_name = $1 order by ordinal_position`,
      [table],
    );
    return r.rows.map((c) => [c.column_name, c.data_type]);
  }

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`${name}: the table, columns and row count PostgresML creates`, async () => {
      const r = await client.query('select * from pgml.load_dataset($1)', [name]);
      assert.deepEqual(r.rows, [{ table_name: `pgml.${name}`, rows: String(expected.rows) }]);
      assert.deepEqual(await columnsOf(name), expected.columns);
      const count = await client.query(`select count(*)::int as n from pgml.${name}`);
      assert.equal(count.rows[0].n, expected.rows);
    });
  }

  test('values land in the columns their names say', async () => {
    await client.query(`select * from pgml.load_dataset('iris')`);
    const iris = await client.query('select * from pgml.iris limit 1');
    assert.deepEqual(iris.rows[0], { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2, target: 0 });

    await client.query(`select * from pgml.load_dataset('wine')`);
    const wine = await client.query('select hue, color_intensity, proline, target from pgml.wine limit 1');
    assert.deepEqual(wine.rows[0], { hue: 1.04, color_intensity: 5.64, proline: 1065, target: 0 });

    await client.query(`select * from pgml.load_dataset('breast_cancer')`);
    const classes = await client.query(
      `select count(*) filter (where malignant)::int as malignant, count(*) filter (where not malignant)::int as benign from pgml.breast_cancer`,
    );
    assert.deepEqual(classes.rows[0], { malignant: 212, benign: 357 });

    await client.query(`select * from pgml.load_dataset('digits')`);
    const digit = await client.query(
      'select array_dims(image) as dims, image[1:2][1:8] as top, target from pgml.digits limit 1',
    );
    assert.deepEqual(digit.rows[0], {
      dims: '[1:8][1:8]',
      top: [[0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0]],
      target: 0,
    });
  });

  test('SELECT pgml.load_dataset(...) in the select list returns the row', async () => {
    const r = await client.query(`select pgml.load_dataset('iris') as loaded`);
    assert.deepEqual(r.rows, [{ loaded: '(pgml.iris,150)' }]);
  });

  test('limit keeps the first rows, positionally and by name; reloading replaces the table', async () => {
    const positional = await client.query(`select * from pgml.load_dataset('digits', NULL, 10)`);
    assert.deepEqual(positional.rows, [{ table_name: 'pgml.digits', rows: '10' }]);
    const named = await client.query(`select * from pgml.load_dataset(source => 'iris', "limit" => 7)`);
    assert.deepEqual(named.rows, [{ table_name: 'pgml.iris', rows: '7' }]);
    const bound = await client.query('select * from pgml.load_dataset($1, NULL, $2)', ['iris', 3]);
    assert.deepEqual(bound.rows, [{ table_name: 'pgml.iris', rows: '3' }]);
    const count = await client.query('select count(*)::int as n, min(target) as t from pgml.iris');
    assert.deepEqual(count.rows[0], { n: 3, t: 0 });
    const zero = await client.query(`select * from pgml.load_dataset('linnerud', "limit" => 0)`);
    assert.deepEqual(zero.rows, [{ table_name: 'pgml.linnerud', rows: '0' }]);
  });

  test('reloading drops views built on the old table, as PostgresML does', async () => {
    await client.query(`select * from pgml.load_dataset('linnerud')`);
    await client.query('create view linnerud_heavy as select * from pgml.linnerud where weight > 190');
    await client.query(`select * from pgml.load_dataset('linnerud')`);
    const view = await client.query(`select to_regclass('public.linnerud_heavy') as v`);
    assert.equal(view.rows[0].v, null);
  });

  test('runs inside the caller transaction: ROLLBACK leaves no table', async () => {
    await client.query('drop table if exists pgml.diabetes');
    await client.query('begin');
    const r = await client.query(`select * from pgml.load_dataset('diabetes')`);
    assert.deepEqual(r.rows, [{ table_name: 'pgml.diabetes', rows: '442' }]);
    await client.query('rollback');
    const gone = await client.query(`select to_regclass('pgml.diabetes') as t`);
    assert.equal(gone.rows[0].t, null);
  });

  test('an unknown source is refused with a clear error, not a download; the session stays usable', async () => {
    await assert.rejects(client.query(`select * from pgml.load_dataset('tweet_eval', 'sentiment')`), (err: pg.DatabaseError) => {
      assert.equal(err.code, '0A000');
      assert.match(err.message, /tweet_eval/);
      assert.match(err.message, /network access/);
      assert.match(err.hint ?? '', /breast_cancer, diabetes, digits, iris, linnerud, wine/);
      return true;
    });
    await assert.rejects(client.query('select * from pgml.load_dataset(NULL)'), (err: pg.DatabaseError) => err.code === '22004');
    const alive = await client.query('select 1 as one');
    assert.deepEqual(alive.rows, [{ one: 1 }]);
  });

  test('a negative limit is an invalid parameter; the failed transaction rolls back cleanly', async () => {
    await client.query('begin');
    await assert.rejects(client.query(`select * from pgml.load_dataset('iris', NULL, -1)`), (err: pg.DatabaseError) => {
      assert.equal(err.code, '22023');
      return true;
    });
    await assert.rejects(client.query('select 1'), (err: pg.DatabaseError) => err.code === '25P02');
    await client.query('rollback');
    const alive = await client.query('select count(*)::int as n from pgml.iris');
    assert.equal(alive.rows[0].n, 3);
  });
});
