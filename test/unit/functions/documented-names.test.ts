/**
 * Every pgml.* and cron.* function the README documents exists exactly once: declared in the
 * registry (src/pgml/api, src/cron/api), or created by a migration (PostgresML's plain-SQL vector
 * functions). Other names it documents are the migrations' tables, views, types and sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { registerCronFunctions } from '../../../src/cron/api/index.js';
import { loadMigrations } from '../../../src/db/migrations.js';
import { FunctionRegistry } from '../../../src/functions/index.js';
import { registerPgmlFunctions } from '../../../src/pgml/api/index.js';
import { list, nameList, nodeOf, str, typeNameToSql, walk } from '../../../src/sql/ast.js';
import { initParser, parseStatements } from '../../../src/sql/index.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** What the README names but no migration or declaration creates: pg_cron's setting, a placeholder. */
const NOT_OBJECTS = new Set(['cron.timezone', 'pgml.x']);

interface MigrationFunction {
  migration: string;
  params: string[];
}

/** The objects the migrations create, read with the Postgres parser. */
async function migrationObjects() {
  await initParser();
  const functions = new Map<string, MigrationFunction[]>();
  const others = new Set<string>();
  const qualified = (names: string[]) => names.join('.');
  const relation = (node: unknown) => {
    const range = (nodeOf(node, 'RangeVar') ?? node ?? {}) as Record<string, unknown>;
    return `${str(range.schemaname) ?? ''}.${str(range.relname) ?? ''}`;
  };
  for (const migration of await loadMigrations(root('migrations'))) {
    walk(parseStatements(migration.sql), {
      enter(type, body) {
        if (type === 'CreateFunctionStmt') {
          const name = qualified(nameList(body.funcname));
          const params = list(body.parameters)
            .map((p) => nodeOf(p, 'FunctionParameter'))
            .filter((p) => p !== undefined && p.mode !== 'FUNC_PARAM_TABLE' && p.mode !== 'FUNC_PARAM_OUT')
            .map((p) => `${str(p!.name)} ${typeNameToSql(p!.argType)}`);
          functions.set(name, [...(functions.get(name) ?? []), { migration: migration.name, params }]);
        }
        if (type === 'CreateStmt') others.add(relation(body.relation));
        if (type === 'CreateSeqStmt') others.add(relation(body.sequence));
        if (type === 'ViewStmt') others.add(relation(body.view));
        if (type === 'CompositeTypeStmt') others.add(relation(body.typevar));
        if (type === 'CreateEnumStmt') others.add(qualified(nameList(body.typeName)));
      },
    });
  }
  return { functions, others };
}

function registry(): FunctionRegistry {
  const functions = new FunctionRegistry();
  registerPgmlFunctions(functions);
  registerCronFunctions(functions);
  return functions;
}

test('every pgml.* and cron.* name in the README exists exactly once', async () => {
  const readme = await readFile(root('README.md'), 'utf8');
  // Backticked or plain prose mentions; `pgml.*` and prefixes such as `cron.pgml_proxy_*` are not names.
  const documented = new Set([...readme.matchAll(/\b(pgml|cron)\.([a-z_][a-z0-9_]*)\b(?![*])/g)].map((m) => `${m[1]}.${m[2]}`));
  const { functions, others } = await migrationObjects();
  const declared = registry();
  const missing: string[] = [];
  for (const name of documented) {
    if (NOT_OBJECTS.has(name)) continue;
    const [schema, fn] = name.split('.') as [string, string];
    const inRegistry = declared.overloads(schema, fn) !== undefined;
    const inMigrations = functions.has(name);
    if (!inRegistry && !inMigrations && !others.has(name)) missing.push(name);
  }
  assert.deepEqual(missing, [], 'documented in the README, created nowhere');
  assert.ok(documented.has('pgml.predict') && documented.has('pgml.cosine_similarity') && documented.has('cron.schedule'));
});

test('no function is both declared in the registry and implemented by a migration', async () => {
  const { functions } = await migrationObjects();
  for (const fn of registry().all()) {
    const name = `${fn.signature.schema}.${fn.signature.name}`;
    // A migration may create a registry function's placeholder ahead of its stub, to hold its
    // privileges (0005's REVOKE): then it must have exactly one overload's parameters, which
    // the stub replaces (CREATE OR REPLACE keeps the ACL).
    for (const created of functions.get(name) ?? []) {
      const overloads = registry().overloads(fn.signature.schema, fn.signature.name) ?? [];
      const matches = overloads.some((o) => o.params.map((p) => `${p.name} ${p.type}`).join(', ') === created.params.join(', '));
      assert.ok(matches, `${name} is declared in the registry and created in ${created.migration} with (${created.params.join(', ')})`);
    }
  }
});

test('each overload is declared once', () => {
  const seen = new Set<string>();
  for (const fn of registry().all()) {
    const key = `${fn.signature.schema}.${fn.signature.name}(${fn.signature.params.map((p) => p.type).join(', ')})`;
    assert.ok(!seen.has(key), `${key} is declared twice`);
    seen.add(key);
  }
});
