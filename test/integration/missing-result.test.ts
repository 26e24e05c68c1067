// The error a keyed lookup miss raises (migrations 0012, 0015, 0023): 40001, naming only causes that
// can still make one (README, "What can still miss a row"), never a NULL.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

describeTargets('pgml_proxy.missing_result', { proxyOnly: true }, (target) => {
  const suite = suiteClient(target);
  let client: pg.Client;
  before(() => {
    client = suite();
  });

  test('fails with 40001 and names the causes that remain', async () => {
    await assert.rejects(client.query(`SELECT pgml_proxy.missing_result(NULL::real, 'pgml', 'predict')`), (error: pg.DatabaseError) => {
      assert.equal(error.code, '40001');
      assert.equal(error.message, 'pgml-proxy: pgml.predict met a row whose arguments were not evaluated');
      assert.match(error.detail ?? '', /LATERAL item/);
      assert.match(error.detail ?? '', /SELECT \.\.\. FOR UPDATE/);
      // Left out of the enumeration, refused, or read from copies now: not causes any more.
      assert.doesNotMatch(error.detail ?? '', /in the WHERE \(random\(\)|volatile expression in the arguments/);
      assert.match(error.hint ?? '', /REPEATABLE READ/);
      return true;
    });
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  });
});
