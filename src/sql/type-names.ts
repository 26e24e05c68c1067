/** SQL type names as the resolver compares them, and the numeric types' implicit-cast order. */

const ALIASES: Record<string, string> = {
  int: 'integer',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  float: 'double precision',
  bool: 'boolean',
  varchar: 'character varying',
  decimal: 'numeric',
};

/** `float8` -> `double precision`, `INT[]` -> `integer[]`, `numeric(10,2)` -> `numeric`. */
export function normalizeType(type: string): string {
  const lower = type.trim().toLowerCase().replace(/\s+/g, ' ');
  if (lower.endsWith('[]')) return `${normalizeType(lower.slice(0, -2))}[]`;
  const base = lower.replace(/\(.*\)$/, '');
  return ALIASES[base] ?? base;
}

/** Each numeric type casts implicitly to every type after it (pg_cast context 'i'), never before. */
export const NUMERIC_LADDER = ['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'];

export function isNumericType(type: string): boolean {
  return NUMERIC_LADDER.includes(type);
}
