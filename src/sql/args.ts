/**
 * Classifies the argument expressions of an intercepted call: constants decoded locally, `$n`
 * parameters, nested intercepted calls, expressions the upstream can evaluate on its own, and
 * expressions that depend on the row being processed.
 */
import { asTypedNode, list, nodeOf, num, str, typeNameToSql, walk } from './ast.js';
import type { AstBody } from './ast.js';
import { isNumericType, normalizeType, NUMERIC_LADDER } from './type-names.js';

/** Half-open range of JS string indices into the original query text. */
export interface Span {
  start: number;
  end: number;
}

export type ArgExpr =
  /** value: string | number | boolean | null | nested JS arrays of those; see decodeNumber. */
  | { kind: 'const'; value: unknown; sqlText: string; castType?: string; span: Span }
  | { kind: 'param'; index: number; castType?: string; sqlText: string; span: Span }
  | { kind: 'call'; callId: number; sqlText: string; span: Span }
  /** No column references: the upstream can evaluate it alone (`params`: the $n it uses). */
  | { kind: 'expr'; sqlText: string; span: Span; params: number[]; callIds: number[] }
  /**
   * `standalone`: set when only subqueries read rows here, none calls the proxy, and every CTE
   * they can see only reads: the argument alone as a query, under those CTEs (subquery-args.ts),
   * with the client's parameters it uses. If the upstream can plan it there, no subquery is correlated.
   */
  | { kind: 'rowDependent'; sqlText: string; span: Span; params: number[]; callIds: number[]; standalone?: string };

/**
 * The type Postgres would see for overload resolution: a SQL type name, 'unknown' for untyped
 * literals (coercible to anything), or undefined when only the upstream could tell.
 */
export type ArgType = string | undefined;

export interface ArgContext {
  sqlText: string;
  span: Span;
  /** Call id of an intercepted FuncCall body, if it is one. */
  callIdOf(funcCall: AstBody): number | undefined;
  /** Result type of an already resolved nested call. */
  callType(callId: number): ArgType;
  /** Whether a FROM item the call can see goes by this name. */
  isFromItem(name: string): boolean;
  /** The argument alone as a query under the CTEs it can see, or undefined (see ArgExpr's `standalone`). */
  standalone?(node: unknown): string | undefined;
}

export function classifyArg(node: unknown, ctx: ArgContext): { expr: ArgExpr; type: ArgType } {
  const { sqlText, span } = ctx;
  // `(select pgml.embed('m', x))` is x's call itself: a SELECT list without FROM yields one row.
  const inner = scalarSubqueryValue(node);
  if (inner !== undefined) return classifyArg(inner, ctx);
  const typed = asTypedNode(node);
  const call = typed?.type === 'FuncCall' ? ctx.callIdOf(typed.body) : undefined;
  if (call !== undefined) return { expr: { kind: 'call', callId: call, sqlText, span }, type: ctx.callType(call) };

  const konst = decodeConst(node);
  if (konst !== undefined) {
    const expr: ArgExpr = { kind: 'const', value: konst.value, sqlText, span };
    if (konst.castType !== undefined) expr.castType = konst.castType;
    return { expr, type: konst.castType ?? konst.type };
  }

  const param = decodeParam(node);
  if (param !== undefined) {
    const expr: ArgExpr = { kind: 'param', index: param.index, sqlText, span };
    if (param.castType !== undefined) expr.castType = param.castType;
    return { expr, type: param.castType };
  }

  const scan = scanExpression(node, ctx);
  const topCast = typed?.type === 'TypeCast' ? typeNameToSql(typed.body.typeName) : undefined;
  // ROW(...), (a, b) and t.* are records whatever they hold: only an overload taking a row fits.
  const type = topCast ?? (isRowNode(node) || isWholeRowReference(node, ctx) ? 'record' : undefined);
  if (!scan.rowDependent) return { expr: { kind: 'expr', sqlText, span, params: scan.params, callIds: scan.callIds }, type };
  const expr: ArgExpr = { kind: 'rowDependent', sqlText, span, params: scan.params, callIds: scan.callIds };
  const standalone = scan.callIds.length === 0 && onlySubqueriesReadRows(node) ? ctx.standalone?.(node) : undefined;
  if (standalone !== undefined) expr.standalone = standalone;
  return { expr, type };
}

/**
 * `t` naming a FROM item: Postgres reads a lone name as a column first, then as the item's whole
 * row. A column of the item's own name is rare; should one be meant, its value still travels whole.
 */
function isWholeRowReference(node: unknown, ctx: ArgContext): boolean {
  const fields = list(nodeOf(node, 'ColumnRef')?.fields);
  const name = fields.length === 1 ? str(nodeOf(fields[0], 'String')?.sval) : undefined;
  return name !== undefined && ctx.isFromItem(name);
}

/** `ROW(...)`, `(a, b)`, `t.*`: a whole row, passed to functions as jsonb. */
function isRowNode(node: unknown): boolean {
  if (nodeOf(node, 'RowExpr') !== undefined) return true;
  const ref = nodeOf(node, 'ColumnRef');
  return ref !== undefined && list(ref.fields).some((f) => nodeOf(f, 'A_Star') !== undefined);
}

/** Whether the expression reads rows only inside subqueries (no column, aggregate or window of its own query). */
function onlySubqueriesReadRows(node: unknown): boolean {
  let subqueries = 0;
  let own = false;
  walk(node, {
    enter(type, body) {
      if (type === 'SubLink') {
        subqueries += 1;
        // The tested expression of `x IN (SELECT ...)` belongs to the outer query.
        walk(body.testexpr, { enter: (inner, innerBody) => void (own ||= ROW_NODES.has(inner) || (inner === 'FuncCall' && isAggregateLike(innerBody))) });
        return false;
      }
      if (ROW_NODES.has(type) || (type === 'FuncCall' && isAggregateLike(body))) own = true;
      return !own;
    },
  });
  return subqueries > 0 && !own;
}

interface DecodedConst {
  value: unknown;
  /** Type of the bare literal: 'integer', 'numeric', 'boolean', 'unknown', 'integer[]'... */
  type: string;
  castType?: string;
}

/** Decodes literals, casts of literals (one cast level) and ARRAY[...] of constants. */
export function decodeConst(node: unknown): DecodedConst | undefined {
  const typed = asTypedNode(node);
  if (typed === undefined) return undefined;
  switch (typed.type) {
    case 'A_Const':
      return decodeAConst(typed.body);
    case 'A_ArrayExpr':
      return decodeArray(typed.body);
    case 'TypeCast': {
      const inner = asTypedNode(typed.body.arg);
      // A cast of a cast may change the value (1.7::int::text): let the upstream do that.
      if (inner === undefined || inner.type === 'TypeCast') return undefined;
      const decoded = decodeConst(typed.body.arg);
      if (decoded === undefined) return undefined;
      return { ...decoded, castType: typeNameToSql(typed.body.typeName) };
    }
    default:
      return undefined;
  }
}

function decodeAConst(body: AstBody): DecodedConst | undefined {
  if (body.isnull === true) return { value: null, type: 'unknown' };
  // Protobuf-style JSON omits zero values: `{ ival: {} }` is 0, `{ boolval: {} }` is false.
  if (body.ival !== undefined) return { value: num((body.ival as AstBody).ival) ?? 0, type: 'integer' };
  if (body.fval !== undefined) return { value: decodeNumber(str((body.fval as AstBody).fval) ?? '0'), type: 'numeric' };
  if (body.boolval !== undefined) return { value: (body.boolval as AstBody).boolval === true, type: 'boolean' };
  if (body.sval !== undefined) return { value: str((body.sval as AstBody).sval) ?? '', type: 'unknown' };
  return undefined; // bit strings: rare, the upstream evaluates them
}

function decodeArray(body: AstBody): DecodedConst | undefined {
  const values: unknown[] = [];
  const elementTypes = new Set<string>();
  const untyped = new Set<number>(); // indices of string literals without a cast
  for (const element of list(body.elements)) {
    const decoded = decodeConst(element);
    if (decoded === undefined) return undefined;
    if (decoded.type === 'unknown' && decoded.castType === undefined && typeof decoded.value === 'string') untyped.add(values.length);
    const type = normalizeType(decoded.castType ?? decoded.type);
    if (decoded.castType !== undefined && isNumericType(type) && typeof decoded.value === 'string') {
      const n = decodeNumber(decoded.value.trim());
      if (typeof n !== 'number' || Number.isNaN(n)) return undefined;
      values.push(n);
    } else {
      values.push(decoded.value);
    }
    if (decoded.value !== null) elementTypes.add(type.endsWith('[]') ? type.slice(0, -2) : type);
  }
  const elementType = arrayElementType(elementTypes);
  if (!isNumericType(elementType)) return { value: values, type: `${elementType}[]` };
  // An untyped literal among numbers is read as one: ARRAY['1', 2] is {1,2}.
  const numbers = values.map((v, i) => (untyped.has(i) ? decodeNumber((v as string).trim()) : v));
  const integral = NUMERIC_LADDER.indexOf(elementType) < NUMERIC_LADDER.indexOf('numeric');
  const fits = (v: unknown): boolean => typeof v === 'number' && !Number.isNaN(v) && (!integral || Number.isInteger(v));
  // Else the upstream reads it, and fails as Postgres does (ARRAY['1.5', 2] is not an integer[]).
  if ([...untyped].some((i) => !fits(numbers[i]))) return undefined;
  return { value: numbers, type: `${elementType}[]` };
}

/**
 * Postgres's ARRAY[] element type resolution (select_common_type), reduced to the literal types
 * decodeConst yields: numbers take the type every other casts to implicitly, `ARRAY[1.5::real, 2]`
 * is real[]; untyped literals alone are text.
 */
function arrayElementType(types: Set<string>): string {
  const known = [...types].filter((t) => t !== 'unknown');
  if (known.length === 0) return types.size === 0 ? 'unknown' : 'text';
  if (known.length === 1) return known[0] as string;
  if (known.every((t) => isNumericType(t))) return NUMERIC_LADDER[Math.max(...known.map((t) => NUMERIC_LADDER.indexOf(t)))] as string;
  return 'text';
}

/**
 * A numeric literal as a JS number when the number reproduces the literal's exact value, else the
 * literal text (e.g. 9223372036854775807 or 0.1000000000000000000001) so no precision is lost.
 */
export function decodeNumber(text: string): number | string {
  const plain = text.replaceAll('_', '');
  const n = Number(plain);
  if (Number.isNaN(n)) return text;
  if (/^-?0[xob]/i.test(plain)) return Number.isSafeInteger(n) ? n : BigInt(plain).toString();
  return sameDecimal(plain, String(n)) ? n : plain;
}

function sameDecimal(a: string, b: string): boolean {
  const x = canonicalDecimal(a);
  const y = canonicalDecimal(b);
  if (x === undefined || y === undefined) return false;
  if (x.digits === '' && y.digits === '') return true; // 0 and -0.0
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

/** sign, significant digits and the exponent of the first digit, e.g. "-012.50" -> (-, "125", 1). */
function canonicalDecimal(text: string): { negative: boolean; digits: string; exponent: number } | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (match === null) return undefined;
  const intPart = match[2] ?? '';
  const fracPart = match[3] ?? '';
  const all = intPart + fracPart;
  const leading = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leading).replace(/0+$/, '');
  const exponent = intPart.length - leading + Number(match[4] ?? '0');
  return { negative: match[1] === '-', digits, exponent };
}

function decodeParam(node: unknown): { index: number; castType?: string } | undefined {
  const ref = nodeOf(node, 'ParamRef');
  if (ref !== undefined) return { index: num(ref.number) ?? 0 };
  const cast = nodeOf(node, 'TypeCast');
  const inner = cast === undefined ? undefined : nodeOf(cast.arg, 'ParamRef');
  if (cast === undefined || inner === undefined) return undefined;
  return { index: num(inner.number) ?? 0, castType: typeNameToSql(cast.typeName) };
}

// Nodes whose value differs from row to row or needs the enclosing query: column references,
// subqueries (which may correlate), aggregates/window calls, GROUPING(), WHERE CURRENT OF.
const ROW_NODES = new Set(['ColumnRef', 'SubLink', 'GroupingFunc', 'CurrentOfExpr', 'A_Star']);

// Clauses after which a SELECT may yield other than exactly one row, or reads rows of its own.
const ROW_SOURCE_CLAUSES = ['fromClause', 'whereClause', 'groupClause', 'havingClause', 'valuesLists', 'larg', 'limitCount', 'limitOffset', 'distinctClause', 'windowClause', 'withClause', 'sortClause'];

/** A SELECT of nothing but its select list: exactly one row, computed from the enclosing row alone. */
export function isBareSelectList(select: AstBody): boolean {
  return ROW_SOURCE_CLAUSES.every((clause) => select[clause] === undefined) && (select.op === undefined || select.op === 'SETOP_NONE');
}

/**
 * The expression of a scalar subquery that is a bare select list of one value, `(SELECT expr)`:
 * it equals `expr` (same type, same row), so the subquery is transparent. Undefined otherwise.
 */
export function scalarSubqueryValue(node: unknown): unknown {
  const sublink = nodeOf(node, 'SubLink');
  if (sublink === undefined || sublink.subLinkType !== 'EXPR_SUBLINK') return undefined;
  const select = nodeOf(sublink.subselect, 'SelectStmt');
  if (select === undefined || !isBareSelectList(select)) return undefined;
  const targets = list(select.targetList);
  const value = targets.length === 1 ? nodeOf(targets[0], 'ResTarget')?.val : undefined;
  const star = list(nodeOf(value, 'ColumnRef')?.fields).some((field) => nodeOf(field, 'A_Star') !== undefined);
  return star ? undefined : value;
}

function scanExpression(node: unknown, ctx: ArgContext): { rowDependent: boolean; params: number[]; callIds: number[] } {
  let rowDependent = false;
  const params = new Set<number>();
  const callIds: number[] = [];
  walk(node, {
    enter(type, body) {
      if (type === 'SubLink' && scalarSubqueryValue({ SubLink: body }) !== undefined) return; // transparent: its value is read below
      if (ROW_NODES.has(type)) rowDependent = true;
      if (type === 'ParamRef') params.add(num(body.number) ?? 0);
      if (type === 'FuncCall') {
        if (isAggregateLike(body)) rowDependent = true;
        const id = ctx.callIdOf(body);
        if (id !== undefined) callIds.push(id);
      }
    },
  });
  return { rowDependent, params: [...params].sort((a, b) => a - b), callIds };
}

export function isAggregateLike(call: AstBody): boolean {
  return (
    call.over !== undefined ||
    call.agg_star === true ||
    call.agg_distinct === true ||
    call.agg_within_group === true ||
    call.agg_filter !== undefined ||
    call.agg_order !== undefined
  );
}
