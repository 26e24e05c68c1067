/**
 * The SQL signature of a proxy-evaluated function, as Postgres would declare it. Types only:
 * src/sql resolves calls against these (FunctionCatalog) and imports nothing else from here.
 */
export interface ParamSpec {
  name: string;
  /** SQL type as Postgres spells it: 'text', 'real[]', 'jsonb', 'bigint', 'anyelement'. */
  type: string;
  hasDefault: boolean;
}

export type ReturnSpec =
  | { kind: 'scalar'; type: string }
  | { kind: 'setof'; type: string }
  /** RETURNS TABLE or a composite: one or more rows of these columns. */
  | { kind: 'table'; columns: { name: string; type: string }[] };

export interface FunctionSignature {
  schema: string;
  name: string;
  params: ParamSpec[];
  returns: ReturnSpec;
}

export interface FunctionCatalog {
  /** Overloads of schema.name (both lower-case, as Postgres folds unquoted names), or undefined. */
  overloads(schema: string, name: string): readonly FunctionSignature[] | undefined;
}
