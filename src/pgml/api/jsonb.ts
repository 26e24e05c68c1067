import { PgError, SqlState } from '../../errors/index.js';

/**
 * A jsonb argument: parsed already when it came as a jsonb constant or parameter, text when it came
 * as an untyped literal. Text Postgres would not parse fails as its jsonb input does (22P02).
 */
export function jsonbArgument(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new PgError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json', { detail: `Argument ${name} is not valid JSON.` });
  }
}
