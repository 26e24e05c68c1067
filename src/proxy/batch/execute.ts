/**
 * One vectorized call of a proxy function over many rows' arguments, shared by the keyed (run.ts)
 * and the one-pass (one-pass.ts) evaluation. The engines behind executeBatch run on the worker pool.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext, FunctionRegistry, FunctionSignature, PreparedBatch } from '../../functions/index.js';
import type { CallSite } from '../../sql/index.js';
import { resolveWithArgumentTypes } from '../../sql/resolve.js';
import { typeNameOf } from '../../wire/types.js';

/** The overload a batch goes to, and the parameter each of the site's arguments binds to there. */
export interface BatchOverload {
  signature: FunctionSignature;
  nameOf(name: string): string;
}

/**
 * The overload the rows' real types choose, when the analysis could not tell: a column's type is
 * the upstream's to know (`pgml.predict(m.id, ...)` takes a model id because m.id is a bigint).
 * `typeOfArgument` gives the type OID of the column that carries the argument of that name.
 */
export function batchOverload(
  registry: FunctionRegistry,
  site: CallSite,
  typeOfArgument: (name: string) => number | undefined,
): BatchOverload {
  if (site.alternatives.length === 0) return { signature: site.signature, nameOf: (name) => name };
  const known = new Map<number, string>();
  for (const [name, expr] of site.args) {
    const index = site.argList.findIndex((arg) => arg.expr === expr);
    const type = typeNameOf(typeOfArgument(name) ?? 0);
    if (index >= 0 && type !== undefined) known.set(index, type);
  }
  const all = registry.overloads(site.schema, site.name) ?? [];
  const resolution = resolveWithArgumentTypes(all, `${site.schema}.${site.name}`, site.argList, known, site.position);
  const nameOf = (name: string): string => [...resolution.args].find(([, expr]) => expr === site.args.get(name))?.[0] ?? name;
  return { signature: resolution.signature, nameOf };
}

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
