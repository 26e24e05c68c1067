/**
 * Evaluates intercepted calls and renders what replaces them in the statement sent upstream:
 * a typed literal when every argument is known now, or a parameter reference (`$k`) whose value
 * is supplied at Bind when an argument is a client parameter.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { CallArgs, CallContext, FunctionRegistry, FunctionSignature, ProxyFunction } from '../functions/index.js';
import { isRowType } from '../sql/resolve.js';
import {
  argumentCheck,
  fromRowsParamValue,
  quoteIdent,
  renderExpressionReplacement,
  renderFromParam,
  renderFromReplacement,
  renderLiteral,
  renderSetReplacement,
  spliceText,
} from '../sql/index.js';
import type { ArgExpr, CallSite, QueryAnalysis, StatementAnalysis } from '../sql/index.js';
import { list, nodeOf, type AstBody } from '../sql/ast.js';
import { renumberParams } from '../sql/params.js';
import { parseStatements } from '../sql/parser.js';
import { encodeText, parseText, typeNameOf, typeOidOf } from '../wire/types.js';
import { isRowDependent, needsParams } from '../sql/per-row.js';

/** Parameter values of the statement being evaluated, by 1-based index; absent at Parse. */
export type BoundParams = readonly unknown[] | undefined;

export class CallEvaluator {
  constructor(
    private readonly registry: FunctionRegistry,
    readonly context: CallContext,
  ) {}

  /** True when evaluating the call touches no database state (it may run ahead of earlier statements). */
  isPure(site: CallSite, stmt: StatementAnalysis): boolean {
    if (!this.registry.implementation(site.signature).pure) return false;
    for (const arg of site.args.values()) {
      if (arg.kind === 'expr') return false;
      if (arg.kind === 'call') {
        const nested = stmt.calls.find((c) => c.id === arg.callId);
        if (nested && !this.isPure(nested, stmt)) return false;
      }
    }
    return true;
  }

  /**
   * The query with every constant call inside a per-row call's arguments replaced by its value
   * (`pgml.predict('p', array_cat(pgml.embed('m', 'query'), features))` embeds 'query' once), or
   * undefined when there is none. Per-row evaluation then sees only calls that read the rows.
   * So are a statement's other constant scalar calls when it has per-row calls: the keyed path
   * copies the scope's rows with queries of its own, which would otherwise hand the upstream a
   * constant call the scope reads (PostgresML's RAG guide ranks `array_agg(chunk)` over a search
   * whose CTE embeds the question). A call that reads database state is folded only in a query of
   * one statement: evaluated now, it must not run ahead of statements before it. Calls taking the
   * client's parameters stay.
   */
  async foldConstantsInPerRowCalls(sql: string, analysis: QueryAnalysis): Promise<string | undefined> {
    if (!mayFoldConstants(analysis)) return undefined;
    const replacements = new Map<number, string>();
    for (const stmt of analysis.statements) {
      const byId = new Map(stmt.calls.map((c) => [c.id, c]));
      const underPerRowCall = (site: CallSite): boolean => {
        for (let id = site.parentId; id !== undefined; id = byId.get(id)?.parentId) {
          if (replacements.has(id)) return false; // inside a call folded already
          const parent = byId.get(id);
          if (parent !== undefined && isRowDependent(parent, stmt)) return true;
        }
        return false;
      };
      const perRow = hasPerRowCalls(stmt);
      const isTopScalar = (site: CallSite) => site.context === 'expression' && site.signature.returns.kind === 'scalar';
      for (const site of stmt.calls) {
        if (isRowDependent(site, stmt) || needsParams(site, stmt)) continue;
        if (site.parentId === undefined ? !(perRow && isTopScalar(site)) : !underPerRowCall(site)) continue;
        if (analysis.statements.length > 1 && !this.isPure(site, stmt)) continue;
        replacements.set(site.id, this.renderValue(site, await this.evaluate(site, stmt, sql, undefined)));
      }
    }
    if (replacements.size === 0) return undefined;
    return spliceText(sql, { start: 0, end: sql.length }, analysis.statements.flatMap((s) => s.calls), replacements);
  }

  /**
   * The types Postgres gives the client's undeclared parameters (`declared[i]` is 0), by 1-based
   * index. The rewritten statement no longer holds the calls, so the upstream could not type the
   * parameters used only in them (42P18); instead it parses the statement as the client wrote it,
   * against the pgml stubs (which have the real signatures), in a probe that never runs it:
   * `SELECT pg_typeof($1)::oid ... FROM (SELECT FROM (<statement>) WHERE false) ...`. The FROM is
   * analyzed before the select list, so each parameter takes the type the statement gives it,
   * overloads and all, and an ambiguous call fails as Postgres fails it. Only a plain SELECT can be
   * nested so (not SELECT INTO, nor one with data-modifying CTEs); of other statements the probe
   * parses the `deferred` calls alone.
   */
  async parameterTypes(stmt: StatementAnalysis, sql: string, declared: readonly number[], deferred: readonly CallSite[]): Promise<Map<number, number>> {
    const nested = isNestableSelect(stmt.sql);
    if (!nested && deferred.length === 0) return new Map();
    const source = nested
      ? `SELECT FROM (${stmt.sql}) AS pgml_proxy_statement`
      : `SELECT ${deferred.map((site) => sql.slice(site.span.start, site.span.end)).join(', ')}`;
    const probed = renumberParams(source, (n) => {
      const type = (declared[n - 1] ?? 0) === 0 ? undefined : typeNameOf(declared[n - 1]!);
      return type === undefined ? undefined : `NULL::${type}`;
    });
    const wanted = probed.used.filter((n) => (declared[n - 1] ?? 0) === 0);
    if (wanted.length === 0) return new Map();
    const columns = wanted.map((n) => `pg_catalog.pg_typeof($${probed.used.indexOf(n) + 1})::oid AS p${n}`);
    const probe = `SELECT ${columns.join(', ')} FROM (${probed.sql} WHERE false) AS pgml_proxy_probe RIGHT JOIN (SELECT) AS pgml_proxy_one ON true`;
    const result = await this.context.db.query<Record<string, unknown>>(probe, probed.used.map(() => null));
    const row = result.rows[0] ?? {};
    return new Map(wanted.map((n) => [n, Number(row[`p${n}`])] as const).filter(([, oid]) => Number.isInteger(oid) && oid > 0));
  }

  /** Runs the call and returns its result (scalar, array for setof, rows for table). */
  async evaluate(site: CallSite, stmt: StatementAnalysis, sql: string, params: BoundParams): Promise<unknown> {
    const fn = this.registry.implementation(site.signature);
    const args = constantArguments.get(site) ?? (await this.validatedArguments(fn, site, stmt, sql, params));
    try {
      return await fn.execute(args, this.context);
    } catch (error) {
      throw PgError.from(error);
    }
  }

  /** Whether the call's function can give its rows one at a time (ProxyFunction.stream). */
  canStream(signature: FunctionSignature): boolean {
    return this.registry.implementation(signature).stream !== undefined;
  }

  /** Starts a set-returning call that gives its rows one at a time (see canStream). */
  async stream(site: CallSite, stmt: StatementAnalysis, sql: string, params: BoundParams): Promise<AsyncIterator<unknown>> {
    const fn = this.registry.implementation(site.signature);
    if (fn.stream === undefined) throw new PgError(SqlState.InternalError, `${describe(site.signature)} does not stream`);
    const args = await this.validatedArguments(fn, site, stmt, sql, params);
    return fn.stream(args, this.context)[Symbol.asyncIterator]();
  }

  private async validatedArguments(fn: ProxyFunction, site: CallSite, stmt: StatementAnalysis, sql: string, params: BoundParams): Promise<CallArgs> {
    const known = constantArguments.get(site);
    if (known !== undefined) return known;
    const raw: Record<string, unknown> = {};
    for (const [name, arg] of site.args) {
      const param = site.signature.params.find((p) => p.name === name);
      const value = this.argumentValue(arg, param?.type, site, stmt, sql, params);
      raw[name] = value instanceof Promise ? await value : value;
    }
    const parsed = fn.args.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `argument "${issue.path.join('.')}"` : 'arguments';
      throw new PgError(
        SqlState.InvalidParameterValue,
        `invalid ${where} for ${describe(site.signature)}: ${issue?.message ?? 'invalid value'}`,
        { position: site.position },
      );
    }
    if (argumentsAsAnalyzed(site)) constantArguments.set(site, frozen(parsed.data));
    return parsed.data;
  }

  /** The call's arguments other than the `perRow` ones, evaluated once for per-row evaluation (batch/run.ts). */
  async sharedArguments(
    site: CallSite,
    stmt: StatementAnalysis,
    sql: string,
    params: BoundParams,
    perRow: ReadonlySet<string>,
  ): Promise<Record<string, unknown>> {
    const raw: Record<string, unknown> = {};
    for (const [name, arg] of site.args) {
      if (perRow.has(name)) continue;
      const param = site.signature.params.find((p) => p.name === name);
      const value = this.argumentValue(arg, param?.type, site, stmt, sql, params);
      raw[name] = value instanceof Promise ? await value : value;
    }
    return raw;
  }

  /**
   * SQL that stands for the call's result, as a literal. When the call took subquery arguments the
   * proxy evaluated apart, the literal is given only if the statement reads the same values.
   */
  renderValue(site: CallSite, value: unknown): string {
    const returns = site.signature.returns;
    const check = site.checks === undefined ? undefined : argumentCheck(site.checks, site.schema, site.name);
    const checked = (sql: string) => (check === undefined ? sql : `CASE WHEN ${check} THEN ${sql} END`);
    if (site.context === 'from') return renderFromReplacement(site, resultRows(site.signature, value), check);
    switch (returns.kind) {
      case 'scalar':
        return renderExpressionReplacement(site, checked(renderLiteral(value, returns.type)));
      case 'setof':
        return renderSetReplacement(site, setOfValues(checked(renderLiteral(setElements(returns.type, value), setArrayType(returns.type))), returns.type));
      case 'table': {
        // A set of rows, as the function gives it in the select list: none at all for no rows.
        const items = resultRows(site.signature, value).map((r) => `ROW(${r.map((v, i) => renderLiteral(v, returns.columns[i]!.type)).join(', ')})`);
        return renderSetReplacement(site, `unnest(${checked(items.length === 0 ? 'NULL::record[]' : `ARRAY[${items.join(', ')}]`)})`);
      }
    }
  }

  /**
   * SQL that reads the call's result from parameter `$index`, supplied at Bind by `paramValue`:
   * scalars directly, sets as an array, tables as a JSON array of objects.
   */
  renderParam(site: CallSite, index: number): string {
    const returns = site.signature.returns;
    // As in renderValue: a call that took subquery arguments gives its result only if the statement reads the same values.
    const check = site.checks === undefined ? undefined : argumentCheck(site.checks, site.schema, site.name);
    const param = (type: string) => (check === undefined ? `$${index}::${type}` : `CASE WHEN ${check} THEN $${index}::${type} END`);
    if (site.context === 'from') return renderFromParam(site, param('jsonb'));
    switch (returns.kind) {
      case 'scalar':
        return renderExpressionReplacement(site, param(returns.type));
      case 'setof':
        return renderSetReplacement(site, setOfValues(param(setArrayType(returns.type)), returns.type));
      case 'table': {
        const defs = returns.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
        return renderExpressionReplacement(site, `(SELECT ROW(r.*) FROM jsonb_to_recordset(${param('jsonb')}) AS r(${defs}))`);
      }
    }
  }

  /** The type of the parameter carrying the call's result. */
  static paramTypeOid(site: CallSite): number {
    const returns = site.signature.returns;
    if (returns.kind === 'table' || site.context === 'from') return typeOidOf('jsonb');
    return typeOidOf(returns.kind === 'setof' ? setArrayType(returns.type) : returns.type);
  }

  /**
   * Reads text cast to a type the proxy does not know (a domain over real[], varchar(n), a type
   * that does not exist) the way the upstream does, with the upstream's own errors. A domain's
   * value comes back as its base type, which Postgres reports in RowDescription.
   */
  private async castByUpstream(text: string, type: string): Promise<unknown> {
    try {
      const result = await this.context.db.query(`SELECT $1::${type} AS v`, [text]);
      return result.rows[0]?.v ?? null;
    } catch (error) {
      if (!(error instanceof PgError)) throw error;
      // A position would point into the proxy's own statement, not the client's. Still the
      // upstream's error (its origin is kept): its transaction and pipeline already reflect it.
      throw new PgError(error.code, error.message, { ...error.fields(), position: undefined });
    }
  }

  /** The value for the parameter rendered by renderParam. */
  static paramValue(site: CallSite, value: unknown): unknown {
    const { signature } = site;
    const returns = signature.returns;
    if (site.context === 'from') return fromRowsParamValue(site, resultRows(signature, value));
    if (returns.kind === 'table') {
      return JSON.stringify(
        resultRows(signature, value).map((r) => Object.fromEntries(returns.columns.map((c, i) => [c.name, r[i]]))),
      );
    }
    if (returns.kind === 'setof') return setElements(returns.type, value);
    // A json result is its JSON text: encodeText would write a JS array as a Postgres array literal.
    const json = /^jsonb?$/i.test(returns.type.trim());
    return json && value !== null && value !== undefined && typeof value !== 'string' ? JSON.stringify(value) : value;
  }

  /**
   * An argument's value: at once for a constant or a bound parameter (a single call's arguments, as a
   * rule), a promise for one evaluated first or read by the upstream. No await where nothing is
   * waited for: each was a promise and a turn of the microtask queue at every call.
   */
  private argumentValue(
    arg: ArgExpr,
    type: string | undefined,
    site: CallSite,
    stmt: StatementAnalysis,
    sql: string,
    params: BoundParams,
  ): unknown {
    switch (arg.kind) {
      case 'const': {
        const castType = arg.castType ?? type;
        // A quoted literal such as '{1,2}'::real[] arrives as text; read it as the server would.
        if (typeof arg.value === 'string' && castType !== undefined && castType !== 'text') {
          const oid = typeOidOf(castType);
          if (oid !== 0) return parseText(oid, arg.value);
          if (arg.castType !== undefined) return this.castByUpstream(arg.value, arg.castType);
        }
        return arg.value;
      }
      case 'param': {
        if (params === undefined) throw new Error('parameter used before Bind');
        const value = params[arg.index - 1] ?? null;
        if (typeof value !== 'string') return value;
        if (arg.castType !== undefined && typeOidOf(arg.castType) === 0) return this.castByUpstream(value, arg.castType);
        // Still text at an array parameter: the client declared a type the proxy does not read
        // (a domain over real[]); Postgres would coerce it to the parameter's type.
        if (type !== undefined && type.endsWith('[]') && typeOidOf(type) !== 0) return parseText(typeOidOf(type), value);
        return value;
      }
      case 'call': {
        const nested = stmt.calls.find((c) => c.id === arg.callId);
        if (!nested) throw new Error(`unknown nested call ${arg.callId}`);
        return this.evaluate(nested, stmt, sql, params);
      }
      case 'expr':
        return this.expressionValue(arg, type, stmt, sql, params);
      case 'rowDependent':
        throw new PgError(
          SqlState.FeatureNotSupported,
          `pgml-proxy cannot evaluate ${describe(site.signature)} with an argument that depends on the rows of the query: ${arg.sqlText}`,
          {
            position: site.position,
            hint: `Pass constants or parameters, e.g. SELECT ${site.schema}.${site.name}('...'), or compute the argument in a separate statement first.`,
          },
        );
    }
  }

  /** Constant expressions the proxy cannot fold itself (now(), 1+2...) are folded by the upstream. */
  private async expressionValue(arg: Extract<ArgExpr, { kind: 'expr' }>, type: string | undefined, stmt: StatementAnalysis, sql: string, params: BoundParams): Promise<unknown> {
    const replacements = new Map<number, string>();
    for (const id of arg.callIds) {
      const nested = stmt.calls.find((c) => c.id === id);
      if (nested) replacements.set(id, this.renderValue(nested, await this.evaluate(nested, stmt, sql, params)));
    }
    // Only the parameters the expression uses are sent, renumbered from $1: Postgres cannot type
    // one it does not see (and nested calls replaced by their values may have taken some along).
    const { sql: text, used } = renumberParams(spliceText(sql, arg.span, stmt.calls, replacements));
    // A row (ROW(5.1, 'red')) travels as jsonb, as per-row rows do; anything else is cast to the parameter's type.
    const value = type !== undefined && isRowType(type) ? `to_jsonb(${text})` : `(${text})${type ? `::${type}` : ''}`;
    const result = await this.context.db.query(`SELECT ${value} AS v`, used.map((n) => params?.[n - 1] ?? null));
    return result.rows[0]?.v ?? null;
  }
}

/** Whether foldConstantsInPerRowCalls may fold a call: every call folded is a per-row call's, or beside one. */
export function mayFoldConstants(analysis: QueryAnalysis): boolean {
  return analysis.statements.some(hasPerRowCalls);
}

/** Whether a statement has per-row calls, by analysis (never modified once made, recent-analyses.ts): asked at every Query. */
const perRowCallsIn = new WeakMap<StatementAnalysis, boolean>();

function hasPerRowCalls(stmt: StatementAnalysis): boolean {
  let perRow = perRowCallsIn.get(stmt);
  if (perRow === undefined) perRowCallsIn.set(stmt, (perRow = stmt.calls.some((site) => isRowDependent(site, stmt))));
  return perRow;
}

/**
 * The validated arguments of calls whose arguments are all constants as the analysis holds them,
 * by call site. A site belongs to an analysis, which is kept per statement text and never modified
 * (recent-analyses.ts): the same statement sent again has the same arguments, the very values
 * argumentValue returns for them. Reading and validating them again at every call was ~2.5 KB of
 * garbage of a constant 30-feature prediction's 23 KB (BENCHMARKS.md, issue 16, lat3). Functions
 * read their arguments and never change them; the cached ones are frozen, so a function that tried
 * would fail loudly instead of changing the next call's arguments.
 */
const constantArguments = new WeakMap<CallSite, CallArgs>();

/** Freezes plain objects and arrays, deeply (typed arrays cannot be frozen; arguments hold none). */
function frozen<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Whether every argument is a constant argumentValue returns as the analysis holds it; not a quoted
 * literal it reads as another type (parseText may make an object or a Date of it, a fresh one per call).
 */
function argumentsAsAnalyzed(site: CallSite): boolean {
  for (const [name, arg] of site.args) {
    if (arg.kind !== 'const') return false;
    const castType = arg.castType ?? site.signature.params.find((p) => p.name === name)?.type;
    if (typeof arg.value === 'string' && castType !== undefined && castType !== 'text') return false;
  }
  return true;
}

/** A SELECT that may stand as a subquery in FROM: no INTO, no INSERT/UPDATE/DELETE in its WITH. */
function isNestableSelect(statementSql: string): boolean {
  const select = nodeOf(parseStatements(statementSql)[0]?.stmt, 'SelectStmt');
  if (select === undefined || select.intoClause !== undefined) return false;
  const ctes = list((select.withClause as AstBody | undefined)?.ctes);
  return ctes.every((cte) => nodeOf(nodeOf(cte, 'CommonTableExpr')?.ctequery, 'SelectStmt') !== undefined);
}

function describe(signature: FunctionSignature): string {
  return `${signature.schema}.${signature.name}(${signature.params.map((p) => p.type).join(', ')})`;
}

/**
 * Postgres has no arrays of arrays: a set of `real[]` values travels as a `text[]` of array
 * literals, each cast back to `real[]` as it is unnested.
 */
function setArrayType(type: string): string {
  return type.trim().endsWith('[]') ? 'text[]' : `${type}[]`;
}

function setElements(type: string, value: unknown): unknown[] {
  const values = asArray(value);
  if (!type.trim().endsWith('[]')) return values;
  return values.map((v) => (v === null || v === undefined ? null : encodeText(v)!.toString('utf8')));
}

function setOfValues(arraySql: string, type: string): string {
  return type.trim().endsWith('[]') ? `unnest(${arraySql})::${type}` : `unnest(${arraySql})`;
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  return [value];
}

/** A function result as rows of values in column order. */
function resultRows(signature: FunctionSignature, value: unknown): unknown[][] {
  const returns = signature.returns;
  if (returns.kind === 'scalar') return [[value]];
  if (returns.kind === 'setof') return asArray(value).map((v) => [v]);
  const rows = Array.isArray(value) ? value : [value];
  return rows.map((row: unknown) => {
    if (Array.isArray(row)) return row;
    const record = row as Record<string, unknown>;
    return returns.columns.map((c) => record[c.name] ?? null);
  });
}
