/**
 * The one walker over libpg-query's JSON AST, plus small accessors. Typed nodes arrive wrapped as
 * `{ FuncCall: {...} }`; embedded structs (Alias, TypeName, WindowDef) are bare objects, so the
 * walker recurses through every object and reports only the wrapped, typed ones.
 */
export type AstBody = Record<string, unknown>;

export interface AstVisitor {
  /** Return false to skip the node's children. */
  enter(type: string, body: AstBody): boolean | void;
  leave?(type: string, body: AstBody): void;
}

export function walk(value: unknown, visitor: AstVisitor): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visitor);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const typed = asTypedNode(value);
  if (typed !== undefined) {
    if (visitor.enter(typed.type, typed.body) === false) return;
    for (const child of Object.values(typed.body)) walk(child, visitor);
    visitor.leave?.(typed.type, typed.body);
    return;
  }
  for (const child of Object.values(value)) walk(child, visitor);
}

/** `{ TypeName: body }` -> { type, body }; field names in the JSON are never capitalised. */
export function asTypedNode(value: unknown): { type: string; body: AstBody } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  const first = type.charCodeAt(0);
  if (first < 0x41 || first > 0x5a) return undefined;
  const body = (value as AstBody)[type];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return { type, body: body as AstBody };
}

export function nodeOf(value: unknown, type: string): AstBody | undefined {
  const typed = asTypedNode(value);
  return typed?.type === type ? typed.body : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** The strings of a name list such as FuncCall.funcname or TypeName.names. */
export function nameList(value: unknown): string[] {
  return list(value).map((item) => str(nodeOf(item, 'String')?.sval) ?? '');
}

// Postgres's internal names for builtin types, spelled as users write them (format_type style).
const BUILTIN_TYPE_NAMES: Record<string, string> = {
  bool: 'boolean',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  varchar: 'character varying',
  bpchar: 'character',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  varbit: 'bit varying',
};

/** Renders a TypeName struct as SQL ('real[]', 'numeric(10,2)', 'public.vector'). */
export function typeNameToSql(typeName: unknown): string {
  const body = (typeName ?? {}) as AstBody;
  const names = nameList(body.names);
  let base: string;
  if (names.length === 2 && names[0] === 'pg_catalog') {
    const internal = names[1] as string;
    base = BUILTIN_TYPE_NAMES[internal] ?? internal;
  } else {
    base = names.join('.');
  }
  const mods = list(body.typmods).map((mod) => {
    const konst = nodeOf(mod, 'A_Const');
    const ival = konst?.ival as AstBody | undefined;
    return ival !== undefined ? String(num(ival.ival) ?? 0) : '?';
  });
  // interval typmods are field bitmasks, not user-visible numbers; dropping them keeps the name valid.
  if (mods.length > 0 && base !== 'interval' && !mods.includes('?')) base += `(${mods.join(',')})`;
  return base + '[]'.repeat(list(body.arrayBounds).length);
}
