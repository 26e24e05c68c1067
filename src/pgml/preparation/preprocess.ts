/**
 * PostgresML's per-column preprocessors (`orm/snapshot.rs` Preprocessor/Encode/Impute/Scale):
 * parsing the `preprocess => '{"col": {...}}'` JSON, and turning one column's raw values into
 * encoded, imputed and scaled features with statistics fitted on the training split only.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { ColumnSpec } from './columns.js';
import type { Statistics } from './statistics.js';

export type Encode = 'native' | 'target' | 'one_hot' | { ordinal: string[] };
export type Impute = 'error' | 'mean' | 'median' | 'mode' | 'min' | 'max' | 'zero';
export type Scale = 'preserve' | 'standard' | 'min_max' | 'max_abs' | 'robust';

export interface Preprocessor {
  encode: Encode;
  impute: Impute;
  scale: Scale;
}

export const DEFAULT_PREPROCESSOR: Preprocessor = { encode: 'native', impute: 'error', scale: 'preserve' };

const IMPUTES: readonly Impute[] = ['error', 'mean', 'median', 'mode', 'min', 'max', 'zero'];
const SCALES: readonly Scale[] = ['preserve', 'standard', 'min_max', 'max_abs', 'robust'];

/** PostgresML keeps NULL as its own category, always coded 0, under this key. */
export const NULL_CATEGORY_KEY = '__NULL__';

export interface Category {
  value: number;
  members: number;
}

/** Validates the whole `preprocess` argument; a null/undefined argument means no preprocessing. */
export function parsePreprocess(json: unknown): Map<string, Preprocessor> {
  const result = new Map<string, Preprocessor>();
  if (json === null || json === undefined) return result;
  const object = typeof json === 'string' ? parseJson(json) : json;
  if (!isPlainObject(object)) {
    throw invalid('preprocess must be a JSON object keyed by column name');
  }
  for (const [column, spec] of Object.entries(object)) {
    result.set(column, parsePreprocessor(column, spec));
  }
  return result;
}

function parsePreprocessor(column: string, spec: unknown): Preprocessor {
  if (!isPlainObject(spec)) {
    throw invalid(`preprocess for column "${column}" must be an object like {"impute": "mean"}`);
  }
  const preprocessor: Preprocessor = { ...DEFAULT_PREPROCESSOR };
  for (const [key, value] of Object.entries(spec)) {
    switch (key) {
      case 'encode':
        preprocessor.encode = parseEncode(column, value);
        break;
      case 'impute':
        preprocessor.impute = oneOf(column, key, value, IMPUTES);
        break;
      case 'scale':
        preprocessor.scale = oneOf(column, key, value, SCALES);
        break;
      default:
        throw invalid(`unknown preprocess key "${key}" for column "${column}"`, 'valid keys: encode, impute, scale');
    }
  }
  return preprocessor;
}

function parseEncode(column: string, value: unknown): Encode {
  if (value === 'native' || value === 'target' || value === 'one_hot') return value;
  if (isPlainObject(value) && Object.keys(value).length === 1 && 'ordinal' in value) {
    const order = value.ordinal;
    if (Array.isArray(order) && order.length > 0 && order.every((v) => typeof v === 'string')) {
      return { ordinal: order as string[] };
    }
  }
  throw invalid(
    `invalid encode for column "${column}": ${JSON.stringify(value)}`,
    'valid encodings: "native", "target", "one_hot", {"ordinal": ["first", "second", ...]}',
  );
}

function oneOf<T extends string>(column: string, key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`invalid ${key} for column "${column}": ${JSON.stringify(value)}`, `valid values: ${allowed.join(', ')}`);
}

/** The checks PostgresML makes when a snapshot's columns are set up. */
export function checkPreprocessor(column: ColumnSpec, preprocessor: Preprocessor): void {
  if (column.kind === 'categorical') {
    if (preprocessor.impute === 'mean' && preprocessor.encode !== 'target') {
      throw invalid(
        `cannot impute the mean of categorical column "${column.name}"`,
        'there is no "average" category: use {"impute": "mode"}, or encode it with "target" so the target mean is imputed',
      );
    }
  } else if (preprocessor.encode !== 'native') {
    throw invalid(
      `cannot encode continuous column "${column.name}" as ${JSON.stringify(preprocessor.encode)}`,
      'encodings apply to text columns; use the default "native" for numbers',
    );
  }
}

/** Replaces a missing (NaN) value per the column's impute rule. */
export function impute(
  value: number,
  column: string,
  preprocessor: Preprocessor,
  statistics: Statistics,
  unseenCategory?: string,
): number {
  if (!Number.isNaN(value)) return value;
  switch (preprocessor.impute) {
    case 'mean':
      return statistics.mean;
    case 'median':
      return statistics.median;
    case 'mode':
      return statistics.mode;
    case 'min':
      return statistics.min;
    case 'max':
      return statistics.max;
    case 'zero':
      return 0;
    case 'error':
      if (unseenCategory !== undefined) {
        throw new PgError(
          SqlState.InvalidParameterValue,
          `column "${column}" has the value ${JSON.stringify(unseenCategory)}, which was not in the training data`,
          { column, hint: imputeHint(column, 'mode') },
        );
      }
      throw new PgError(SqlState.NullValueNotAllowed, `column "${column}" has missing values`, {
        column,
        hint: imputeHint(column, 'mean'),
      });
  }
}

export function missingValuesError(column: string, count: number): PgError {
  return new PgError(SqlState.NullValueNotAllowed, `${count} missing values for column "${column}"`, {
    column,
    hint: imputeHint(column, 'mean'),
  });
}

function imputeHint(column: string, rule: Impute): string {
  return `provide a preprocessor to impute a value, e.g. pgml.train(..., preprocess => '${JSON.stringify({ [column]: { impute: rule } })}')`;
}

/**
 * Scales one value. Where the divisor is 0 (a constant column) PostgresML yields NaN or ±inf;
 * we divide by 1 instead, as scikit-learn's scalers do, so a constant feature stays finite.
 */
export function scale(value: number, preprocessor: Preprocessor, s: Statistics): number {
  switch (preprocessor.scale) {
    case 'preserve':
      return value;
    case 'standard':
      return (value - s.mean) / nonZero(s.std_dev);
    case 'min_max':
      return (value - s.min) / nonZero(s.max - s.min);
    case 'max_abs':
      return value / nonZero(s.max_abs);
    case 'robust':
      return (value - s.median) / nonZero((s.ventiles[15] as number) - (s.ventiles[5] as number));
  }
}

function nonZero(divisor: number): number {
  return divisor === 0 ? 1 : divisor;
}

/** A fresh category map: PostgresML seeds every one with the NULL category, coded 0. */
export function newCategories(): Record<string, Category> {
  // No prototype: a category literally named "__proto__" must be an ordinary key.
  const categories = Object.create(null) as Record<string, Category>;
  categories[NULL_CATEGORY_KEY] = { value: 0, members: 0 };
  return categories;
}

/** Code of a category in the training data, assigning the next code to a new one (PostgresML). */
export function categoryCode(
  categories: Record<string, Category>,
  key: string | null,
  column: string,
  encode: Encode,
): number {
  const name = key ?? NULL_CATEGORY_KEY;
  let category = categories[name];
  if (category === undefined) {
    category = { value: newCategoryValue(categories, key, column, encode), members: 0 };
    categories[name] = category;
  }
  category.members += 1;
  return category.value;
}

function newCategoryValue(categories: Record<string, Category>, key: string | null, column: string, encode: Encode): number {
  if (key === null) return 0;
  if (typeof encode === 'object') {
    const index = encode.ordinal.indexOf(key);
    if (index < 0) {
      throw invalid(
        `value ${JSON.stringify(key)} of column "${column}" is not in its ordinal encoding`,
        `valid values: ${encode.ordinal.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    }
    return index + 1;
  }
  // The map starts with the NULL category (code 0), so new categories count up from 1.
  return Object.keys(categories).length;
}

export function invalid(message: string, hint?: string): PgError {
  return new PgError(SqlState.InvalidParameterValue, message, hint === undefined ? {} : { hint });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('preprocess is not valid JSON');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
