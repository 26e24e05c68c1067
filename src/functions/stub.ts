import type { AdminDatabase } from '../db/admin.js';
import { withMigrationLock } from '../db/migrations.js';
import type { ProxyFunction } from './contract.js';
import type { FunctionSignature } from './signature.js';

const DETAIL =
  'pgml-proxy evaluates %1$s only in the statements clients send through it. Here Postgres ran the call ' +
  'itself: the session is connected to Postgres directly, or the call sits in a view, trigger, column ' +
  'default, materialized view, DO block, or a function body the proxy does not expand.';
const HINT = 'Connect through pgml-proxy and call %1$s in the statement itself (for a view, select from its query).';

/** A SQL string literal. */
function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Every proxy-evaluated function also exists in the upstream with the same signature, so views
 * and SQL functions referring to it can be created; called inside the database, it explains
 * that the call must go through pgml-proxy. The same stub is reached by a client connected to
 * Postgres directly and by one connected through the proxy when Postgres runs the call itself
 * (a view, trigger, column default, materialized view, or a function body the proxy does not
 * expand), so the message names both causes.
 */
export function stubSql(signature: FunctionSignature): string {
  const name = `${signature.schema}.${signature.name}`;
  const params = signature.params.map((p) => `"${p.name}" ${p.type}${p.hasDefault ? ' DEFAULT NULL' : ''}`).join(', ');
  const returns = signature.returns;
  const returnSql =
    returns.kind === 'scalar'
      ? returns.type
      : returns.kind === 'setof'
        ? `SETOF ${returns.type}`
        : `TABLE(${returns.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`;
  const outputs = returns.kind === 'table' ? returns.columns.map((c) => c.name) : [];
  if (signature.params.some((p) => outputs.includes(p.name))) {
    // PL/pgSQL refuses a parameter and an output column of the same name (PostgresML's
    // pgml.train(task ...) RETURNS TABLE(task ...)); an SQL function accepts it and raises via a helper.
    const columns = returns.kind === 'table' ? returns.columns.map((c) => `NULL::${c.type}`).join(', ') : 'NULL';
    return `CREATE OR REPLACE FUNCTION pgml_proxy.raise_stub_error(name text) RETURNS void LANGUAGE plpgsql AS $pgml_proxy_stub$
BEGIN
  RAISE EXCEPTION '%() must be called through pgml-proxy', name USING ERRCODE = 'feature_not_supported',
    DETAIL = format(${quote(DETAIL)}, name), HINT = format(${quote(HINT)}, name);
END
$pgml_proxy_stub$;
CREATE OR REPLACE FUNCTION ${name}(${params}) RETURNS ${returnSql} LANGUAGE sql AS $pgml_proxy_stub$
  SELECT pgml_proxy.raise_stub_error('${name}');
  SELECT ${columns} WHERE false
$pgml_proxy_stub$`;
  }
  return `CREATE OR REPLACE FUNCTION ${name}(${params}) RETURNS ${returnSql} LANGUAGE plpgsql AS $pgml_proxy_stub$
BEGIN
  RAISE EXCEPTION '%() must be called through pgml-proxy', ${quote(name)} USING ERRCODE = 'feature_not_supported',
    DETAIL = format(${quote(DETAIL)}, ${quote(name)}), HINT = format(${quote(HINT)}, ${quote(name)});
END
$pgml_proxy_stub$`;
}

export async function installStubs(db: AdminDatabase, functions: readonly ProxyFunction[]): Promise<void> {
  await withMigrationLock(db, () =>
    db.transaction(async (tx) => {
      for (const fn of functions) await tx.exec(stubSql(fn.signature));
    }),
  );
}
