/**
 * One vectorized call of a proxy function over many rows' arguments, shared by the keyed (run.ts)
 * and the one-pass (one-pass.ts) evaluation. The engines behind executeBatch run on the worker pool.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext, FunctionRegistry, FunctionSignature } from '../../db/functions.js';
import type { CallSite } from '../../sql/index.js';

/** The overload a batch goes to: rows (jsonb) go to the one taking a row, when the function has one. */
export function batchSignature(registry: FunctionRegistry, site: CallSite, takesRows: boolean): FunctionSignature {
  if (!takesRows) return site.signature;
  const all = registry.overloads(site.schema, site.name) ?? [];
  return all.find((s) => rowParamName(s) !== undefined) ?? site.signature;
}

/** The parameter of the overload that takes a whole row, if it has one. */
export function rowParamName(signature: FunctionSignature): string | undefined {
  return signature.params.find((p) => p.type === 'anyelement' || p.type === 'record')?.name;
}

/** A function's batch form bound to what it loaded before the rows (ProxyFunction.prepareBatch). */
export type PreparedBatch = (calls: readonly Record<string, unknown>[]) => Promise<unknown[]>;

/** Validates each row's arguments and runs them as one batch; one result per row, in order. */
export async function executeRows(
  registry: FunctionRegistry,
  signature: FunctionSignature,
  raws: readonly Record<string, unknown>[],
  site: CallSite,
  context: CallContext,
  prepared?: PreparedBatch,
): Promise<unknown[]> {
  const fn = registry.implementation(signature);
  const parsed = raws.map((raw) => {
    const result = fn.args.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      // A column of the wrong type (say pgml.embed(m, id) on an integer id) only shows here, per row.
      const code = issue?.code === 'invalid_type' ? SqlState.DatatypeMismatch : SqlState.InvalidParameterValue;
      const where = issue?.path.length ? ` (argument ${issue.path.join('.')})` : '';
      throw new PgError(code, `invalid arguments for ${site.schema}.${site.name}${where}: ${issue?.message ?? 'invalid value'}`, {
        position: site.position,
      });
    }
    return result.data;
  });
  try {
    if (prepared) return await prepared(parsed);
    if (fn.executeBatch) return await fn.executeBatch(parsed, context);
    const out: unknown[] = [];
    for (const args of parsed) out.push(await fn.execute(args, context));
    return out;
  } catch (error) {
    throw PgError.from(error);
  }
}
