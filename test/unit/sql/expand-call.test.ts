import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCommand, plpgsqlCalledFunctionNames, type CatalogReader } from '../../../src/sql/expand-call.js';
import { initParser } from '../../../src/sql/parser.js';
import { MODEL_TRAIN } from '../../support/clickbait.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());


/** pg_proc as the lookup would read it, for one plpgsql function. */
function catalogOf(definition: string, resultType = 'void'): CatalogReader {
  const row = { signature: 'model_train()', language: 'plpgsql', source: '', atomic: false, argtypes: [], definition, result_type: resultType, rank: 1 };
  return { query: async <Row>() => ({ rows: [row as Row] }) };
}

test('plpgsqlCalledFunctionNames reads the calls of every statement of a plpgsql body', () => {
  assert.deepEqual(plpgsqlCalledFunctionNames(MODEL_TRAIN), [{ schema: 'pgml', name: 'train' }]);
  assert.deepEqual(plpgsqlCalledFunctionNames('not a function'), []);
});

test('a call of a straight-line plpgsql function expands to its statements, named by the call', async () => {
  const body = MODEL_TRAIN.replace(/BEGIN[\s\S]*END;/, 'BEGIN\n    SELECT * FROM pgml.version();\n    PERFORM pgml.version();\nEND;');
  const expansion = await expandCommand(catalogOf(body), 'SELECT model_train() AS retrained', catalog);
  assert.equal(expansion.kind, 'expanded');
  if (expansion.kind !== 'expanded') return;
  assert.equal(expansion.column, 'retrained');
  assert.equal(expansion.resultType, 'void');
  assert.deepEqual(expansion.statements, ['SELECT * FROM pgml.version()', 'SELECT pgml.version()']);
});

test('control flow is refused with the reason; other commands and uninteresting names run as written', async () => {
  const branchy = MODEL_TRAIN.replace(/BEGIN[\s\S]*END;/, "BEGIN IF true THEN PERFORM pgml.version(); END IF; END;");
  assert.deepEqual(await expandCommand(catalogOf(branchy), 'SELECT model_train()', catalog), {
    kind: 'refused',
    function: 'model_train()',
    reason: 'IF statements are not expanded; only SQL statements and PERFORM are',
    resultType: 'void',
  });
  assert.deepEqual(await expandCommand(catalogOf(MODEL_TRAIN), 'SELECT model_train(), 1', catalog), { kind: 'asIs' });
  assert.deepEqual(await expandCommand(catalogOf(MODEL_TRAIN), 'SELECT model_train()', catalog, () => false), { kind: 'asIs' });
});
