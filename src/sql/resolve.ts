/**
 * Binds call arguments to a function's parameters and picks among overloads, following the shape
 * of Postgres's func_get_detail/func_select_candidate over the types visible in the query text.
 */
import { PgError, SqlState } from '../errors/index.js';
import { isNumericType, normalizeType, NUMERIC_LADDER } from './type-names.js';
import type { ArgExpr, ArgType } from './args.js';
import type { FunctionSignature } from './catalog.js';

export interface CallArg {
  /** Set for `name => value` / `name := value`. */
  name?: string;
  expr: ArgExpr;
  type: ArgType;
}

export type Binding = Map<string, ArgExpr>;

/** Positional arguments fill parameters in order, then named ones by name; undefined if no fit. */
export function bindArguments(signature: FunctionSignature, args: readonly CallArg[]): Binding | undefined {
  const bound: Binding = new Map();
  const params = signature.params;
  for (const [i, arg] of args.entries()) {
    const param = arg.name === undefined ? params[i] : params.find((p) => p.name === arg.name);
    if (param === undefined || bound.has(param.name)) return undefined;
    bound.set(param.name, arg.expr);
  }
  for (const param of params) if (!bound.has(param.name) && !param.hasDefault) return undefined;
  return bound;
}

/** Parameter type per argument, in argument order. */
function paramTypes(signature: FunctionSignature, args: readonly CallArg[]): string[] {
  return args.map((arg, i) => {
    const param = arg.name === undefined ? signature.params[i] : signature.params.find((p) => p.name === arg.name);
    return normalizeType(param?.type ?? '');
  });
}

export interface Resolution {
  signature: FunctionSignature;
  args: Binding;
  /** Other overloads that may fit once the types of the arguments unknown here are known. */
  alternatives: FunctionSignature[];
}

/** Checks the argument list itself (as Postgres's parser does before looking up functions). */
export function checkArgumentNames(args: readonly CallArg[], position: number): void {
  const seen = new Set<string>();
  let sawNamed = false;
  for (const arg of args) {
    if (arg.name === undefined) {
      if (sawNamed) throw new PgError(SqlState.SyntaxError, 'positional argument cannot follow named argument', { position });
      continue;
    }
    sawNamed = true;
    if (seen.has(arg.name)) {
      throw new PgError(SqlState.SyntaxError, `argument name "${arg.name}" used more than once`, { position });
    }
    seen.add(arg.name);
  }
}

export function resolveOverload(
  overloads: readonly FunctionSignature[],
  qualifiedName: string,
  args: readonly CallArg[],
  position: number,
): Resolution {
  const bound = overloads.flatMap((signature) => {
    const binding = bindArguments(signature, args);
    return binding === undefined ? [] : [{ signature, binding, types: paramTypes(signature, args) }];
  });
  const coercible = bound.filter((c) => args.every((arg, i) => canCoerce(arg.type, c.types[i] as string)));
  if (coercible.length === 0) throw undefinedFunction(qualifiedName, args, position);
  let candidates = coercible;

  const known = (i: number) => args[i]?.type !== undefined && args[i]?.type !== 'unknown';
  candidates = keepBest(candidates, (c) => c.types.filter((t, i) => known(i) && normalizeType(args[i]?.type ?? '') === t).length);
  candidates = keepBest(candidates, (c) => c.types.filter((t, i) => known(i) && preferredType(args[i]?.type ?? '') === t).length);
  candidates = keepBest(candidates, (c) => c.types.filter((t, i) => args[i]?.type === 'unknown' && isStringType(t)).length);

  const [best, ...rest] = candidates;
  if (best === undefined) throw undefinedFunction(qualifiedName, args, position);
  if (rest.length > 0 && args.every((arg) => arg.type !== undefined)) {
    throw new PgError(SqlState.AmbiguousFunction, `function ${describeCall(qualifiedName, args)} is not unique`, {
      hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
      position,
    });
  }
  // An argument of a type only the upstream knows may rule out the best fit of the others.
  const open = args.some((arg) => arg.type === undefined) ? coercible.filter((c) => c !== best) : rest;
  return { signature: best.signature, args: best.binding, alternatives: open.map((c) => c.signature) };
}

function keepBest<T>(items: T[], score: (item: T) => number): T[] {
  const scores = items.map(score);
  const top = Math.max(...scores);
  return items.filter((_, i) => scores[i] === top);
}

function undefinedFunction(qualifiedName: string, args: readonly CallArg[], position: number): PgError {
  return new PgError(SqlState.UndefinedFunction, `function ${describeCall(qualifiedName, args)} does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    position,
  });
}

/** `pgml.predict(unknown, integer[], x => text)`, as Postgres prints a failed lookup. */
export function describeCall(qualifiedName: string, args: readonly CallArg[]): string {
  const parts = args.map((arg) => {
    // Postgres prints format_type's names: double precision[], not float8[].
    const type = arg.type === undefined ? 'unknown' : normalizeType(arg.type);
    return arg.name === undefined ? type : `${arg.name} => ${type}`;
  });
  return `${qualifiedName}(${parts.join(', ')})`;
}

export { normalizeType };

const STRING_TYPES = new Set(['text', 'character varying', 'character', 'name']);
const POLYMORPHIC = new Set(['anyelement', 'anycompatible', 'any', '"any"', 'anynonarray', 'anycompatiblenonarray']);
const POLYMORPHIC_ARRAY = new Set(['anyarray', 'anycompatiblearray']);

/** A parameter that takes a whole row (`anyelement` in PostgresML's row overloads): rows travel to it as jsonb. */
export function isRowType(type: string): boolean {
  return type === 'anyelement' || type === 'record';
}

/** Whether the call's argument goes to a parameter taking a whole row. */
export function bindsRow(site: { signature: FunctionSignature; args: Binding }, expr: ArgExpr): boolean {
  const name = [...site.args].find(([, bound]) => bound === expr)?.[0];
  const param = site.signature.params.find((p) => p.name === name);
  return param !== undefined && isRowType(param.type);
}

function isStringType(type: string): boolean {
  return STRING_TYPES.has(type);
}

/** Implicit coercibility (pg_cast context 'i'), restricted to the types these functions use. */
export function canCoerce(argType: ArgType, paramType: string): boolean {
  if (argType === undefined || argType === 'unknown') return true;
  const from = normalizeType(argType);
  const to = normalizeType(paramType);
  if (from === to || POLYMORPHIC.has(to)) return true;
  if (POLYMORPHIC_ARRAY.has(to)) return from.endsWith('[]');
  if (from.endsWith('[]') && to.endsWith('[]')) return canCoerce(from.slice(0, -2), to.slice(0, -2));
  if (from.endsWith('[]') || to.endsWith('[]')) return false;
  if (isNumericType(from) && isNumericType(to)) return NUMERIC_LADDER.indexOf(from) <= NUMERIC_LADDER.indexOf(to);
  if (isStringType(from) && isStringType(to)) return to !== 'character';
  return false;
}

/**
 * The preferred type of the argument's category (numeric: double precision; string: text). Arrays
 * are one category, 'A', with no preferred type: `numeric[]` is as far from `real[]` as from
 * `double precision[]` (func_select_candidate then finds them equal: 42725).
 */
function preferredType(argType: string): string | undefined {
  const type = normalizeType(argType);
  if (type.endsWith('[]')) return undefined;
  if (isNumericType(type)) return 'double precision';
  if (isStringType(type)) return 'text';
  return undefined;
}

/**
 * Resolves the call again once the upstream has told the types of arguments the analysis could not
 * type (`known`, by argument index: a column's type, read from the rows it sent), so that
 * `pgml.predict(m.id, f)` takes the bigint model-id overload and `cron.unschedule(jobname)` the
 * text one, as Postgres would resolve them.
 */
export function resolveWithArgumentTypes(
  overloads: readonly FunctionSignature[],
  qualifiedName: string,
  args: readonly CallArg[],
  known: ReadonlyMap<number, string>,
  position: number,
): Resolution {
  const typed = args.map((arg, i): CallArg => {
    const type = known.get(i);
    return arg.type === undefined && type !== undefined ? { ...arg, type } : arg;
  });
  return resolveOverload(overloads, qualifiedName, typed, position);
}
