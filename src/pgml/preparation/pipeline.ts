/**
 * The feature pipeline: raw column values → one Float32Array row of model features. It is fitted
 * on the training split only (PostgresML's `Snapshot::tabular_dataset` analyzes training rows and
 * then preprocesses train and test with those statistics), serialized to JSON with the model, and
 * replayed on new rows at prediction time.
 *
 * Deviations from PostgresML, each because PostgresML's result is wrong rather than a choice:
 * - target encoding trains on the per-category target means (PostgresML analyzes the means but
 *   keeps feeding the raw category codes to the model, then predicts with the means);
 * - one_hot gives category code k the slot k-1 and NULL no slot (PostgresML puts NULL and the first
 *   category in slot 0 and drops the last category);
 * - array columns share one set of pooled statistics (PostgresML keeps whichever element it
 *   analyzed last).
 */
import { PgError, SqlState } from '../../errors/index.js';
import { readArray, readCategory, readScalar, type ColumnSpec } from './columns.js';
import { mismatchedWidth, type RawColumn, type RawMatrix } from './raw-matrix.js';
import {
  categoryCode,
  checkPreprocessor,
  DEFAULT_PREPROCESSOR,
  impute,
  invalid,
  missingValuesError,
  newCategories,
  NULL_CATEGORY_KEY,
  scale,
  type Category,
  type Preprocessor,
} from './preprocess.js';
import { analyze, type Statistics } from './statistics.js';

export interface FittedFeature {
  name: string;
  pgType: string;
  kind: ColumnSpec['kind'];
  array: boolean;
  /** Elements per row: the array width, or 1 for a scalar. */
  size: number;
  preprocessor: Preprocessor;
  statistics: Statistics;
  /** Categorical columns only: category key → encoded value and training member count. */
  categories?: Record<string, Category>;
}

export interface FeaturePipelineJson {
  version: 1;
  features: FittedFeature[];
}

/** A row as node-postgres returns it: an array (rowMode 'array') or an object keyed by column name. */
export type Row = readonly unknown[] | Readonly<Record<string, unknown>>;

export class FeaturePipeline {
  /** Model input width after encoding (one_hot widens a column). */
  readonly width: number;
  /** Number of raw feature values before encoding: PostgresML's `num_features`. */
  readonly rawWidth: number;

  private constructor(readonly features: readonly FittedFeature[]) {
    this.width = features.reduce((sum, f) => sum + f.size * encodedWidth(f), 0);
    this.rawWidth = features.reduce((sum, f) => sum + f.size, 0);
  }

  /**
   * Fits on the training split, the first `numTrain` rows of the raw matrix, and encodes every row
   * with what it learned: in place when no column widens (one_hot), else into a new matrix.
   * `target` is the first label per training row (class index or number), for target encoding.
   */
  static fit(
    raw: RawMatrix,
    preprocessors: ReadonlyMap<string, Preprocessor>,
    numTrain: number,
    target: ArrayLike<number> | undefined,
  ): { pipeline: FeaturePipeline; x: Float32Array } {
    // One column's training values at a time, in one array for every column (analyze sorts them in it).
    const scratch = new Float64Array(numTrain * raw.features.reduce((most, column) => Math.max(most, column.size), 0));
    const fitted = raw.features.map((column) => fitColumn(raw, column, preprocessors, numTrain, target, scratch));
    const pipeline = new FeaturePipeline(fitted.map((f) => f.feature));
    const inPlace = pipeline.width === raw.width;
    const x = inPlace ? raw.x : new Float32Array(new SharedArrayBuffer(raw.rows * pipeline.width * 4));
    let offset = 0;
    fitted.forEach(({ feature, byId }, c) => {
      encodeColumn(raw, raw.features[c] as RawColumn, feature, byId, { x, width: pipeline.width, offset, inPlace, numTrain });
      offset += feature.size * encodedWidth(feature);
    });
    return { pipeline, x };
  }

  static fromJSON(json: unknown): FeaturePipeline {
    const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<FeaturePipelineJson> | null;
    if (parsed === null || parsed.version !== 1 || !Array.isArray(parsed.features)) {
      throw new PgError(SqlState.DataCorrupted, 'stored feature pipeline is not a version 1 pipeline');
    }
    return new FeaturePipeline(
      parsed.features.map((f) => {
        const feature = { ...f, statistics: restoreNaN(f.statistics) };
        if (f.categories !== undefined) {
          const categories = Object.create(null) as Record<string, Category>;
          for (const [key, c] of Object.entries(f.categories)) {
            categories[key] = { value: c.value ?? Number.NaN, members: c.members };
          }
          feature.categories = categories;
        }
        return feature;
      }),
    );
  }

  toJSON(): FeaturePipelineJson {
    return { version: 1, features: this.features.map((f) => ({ ...f })) };
  }

  /** Names of the model inputs, e.g. `age`, `embedding[3]`, `color=red`. */
  featureNames(): string[] {
    return this.features.flatMap((f) => {
      const slots = f.preprocessor.encode === 'one_hot' ? oneHotNames(f) : [f.name];
      if (!f.array) return slots;
      return Array.from({ length: f.size }, (_, e) => slots.map((s) => `${s}[${e + 1}]`)).flat();
    });
  }

  /**
   * One row of feature values in feature-column order (arrays as arrays), or keyed by name: a row
   * tuple such as `(5.1, 'red')` holds the features by position (PostgresML's numeric_encode_features
   * reads attribute i as feature i), a table's or composite type's row by column name (its other
   * columns, such as the label, are left out).
   */
  transformRow(row: Row): Float32Array {
    this.checkRowShape(row);
    const out = new Float32Array(this.width);
    this.writeRow(row, out, 0);
    return out;
  }

  /** A row of another arity, or without a feature's column, would be read into the wrong features. */
  private checkRowShape(row: Row): void {
    const names = this.features.map((f) => f.name);
    if (Array.isArray(row)) {
      if (row.length === names.length) return;
      throw new PgError(SqlState.DatatypeMismatch, `the row has ${row.length} values, but the model takes ${names.length} features: ${names.join(', ')}`, {
        hint: 'pass the features in the order of the training relation\'s columns, without the label',
      });
    }
    const missing = names.filter((name) => !Object.hasOwn(row, name));
    if (missing.length === 0) return;
    throw new PgError(SqlState.DatatypeMismatch, `the row lacks the model's feature column${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')}`, {
      hint: `the model takes the features ${names.join(', ')}; name the row's columns so, or pass a row tuple of the features in that order, e.g. (${names.join(', ')})`,
    });
  }

  transformBatch(rows: readonly Row[]): Float32Array {
    const out = new Float32Array(rows.length * this.width);
    rows.forEach((row, r) => this.writeRow(row, out, r * this.width));
    return out;
  }

  /**
   * An already numeric feature vector (`pgml.predict(project, ARRAY[...])`), `rawWidth` long:
   * imputes and scales it. Text features cannot arrive this way, having no numeric form.
   */
  transformNumeric(values: ArrayLike<number>): Float32Array {
    const categorical = this.features.find((f) => f.kind === 'categorical');
    if (categorical !== undefined) {
      throw invalid(
        `the model has the text feature "${categorical.name}", which a numeric array cannot carry`,
        'pass the row instead, e.g. pgml.predict(project, (SELECT t FROM (VALUES (...)) t(...)))',
      );
    }
    if (values.length !== this.rawWidth) {
      throw invalid(`expected ${this.rawWidth} features, received ${values.length}`);
    }
    const out = new Float32Array(this.width);
    let at = 0;
    for (const feature of this.features) {
      for (let e = 0; e < feature.size; e++, at++) {
        const value = impute(values[at] as number, feature.name, feature.preprocessor, feature.statistics);
        out[at] = scale(value, feature.preprocessor, feature.statistics);
      }
    }
    return out;
  }

  private writeRow(row: Row, out: Float32Array, start: number): void {
    let offset = start;
    this.features.forEach((feature, c) => {
      const raw = Array.isArray(row) ? (row as readonly unknown[])[c] : (row as Record<string, unknown>)[feature.name];
      const width = encodedWidth(feature);
      if (feature.array) {
        const elements = readArray(raw, feature);
        checkWidth(feature, elements.length);
        elements.forEach((v, e) => writeFeature(feature, v, out, offset + e * width));
      } else if (feature.categories !== undefined) {
        const key = readCategory(raw, feature);
        const category = feature.categories[key ?? NULL_CATEGORY_KEY];
        const value =
          category === undefined
            ? impute(Number.NaN, feature.name, feature.preprocessor, feature.statistics, key ?? undefined)
            : category.value;
        writeFeature(feature, value, out, offset);
      } else {
        writeFeature(feature, readScalar(raw, feature), out, offset);
      }
      offset += feature.size * width;
    });
  }
}

interface FittedColumn {
  feature: FittedFeature;
  /** Text columns: the fitted category of each dictionary id, undefined when training never saw it. */
  byId?: (Category | undefined)[];
}

function fitColumn(
  raw: RawMatrix,
  column: RawColumn,
  preprocessors: ReadonlyMap<string, Preprocessor>,
  numTrain: number,
  target: ArrayLike<number> | undefined,
  scratch: Float64Array,
): FittedColumn {
  const { spec, size } = column;
  const preprocessor = preprocessors.get(spec.name) ?? DEFAULT_PREPROCESSOR;
  checkPreprocessor(spec, preprocessor);
  const values = scratch.subarray(0, numTrain * size);
  let categories: Record<string, Category> | undefined;
  let byId: (Category | undefined)[] | undefined;
  if (column.keys !== undefined) {
    categories = newCategories();
    byId = new Array<Category | undefined>(column.keys.length);
    for (let r = 0; r < numTrain; r++) {
      const id = raw.x[r * raw.width + column.offset] as number;
      const key = Number.isNaN(id) ? null : (column.keys[id] as string);
      values[r] = categoryCode(categories, key, spec.name, preprocessor.encode);
      if (key !== null) byId[id] ??= categories[key];
    }
    if (preprocessor.encode === 'target') targetEncode(spec.name, values, categories, target);
  } else {
    for (let r = 0; r < numTrain; r++) {
      const at = r * raw.width + column.offset;
      for (let e = 0; e < size; e++) values[r * size + e] = raw.x[at + e] as number;
    }
  }
  // Sorted in place: nothing reads the column's values after its statistics.
  const statistics = analyze(values, values);
  if (statistics === undefined) {
    throw new PgError(SqlState.NullValueNotAllowed, `column "${spec.name}" has no values in the training data`, {
      column: spec.name,
      hint: 'every row of the training split is NULL in this column: drop it from the relation',
    });
  }
  if (statistics.missing > 0 && preprocessor.impute === 'error') {
    throw missingValuesError(spec.name, statistics.missing);
  }
  const feature: FittedFeature = { name: spec.name, pgType: spec.pgType, kind: spec.kind, array: spec.array, size, preprocessor, statistics };
  if (categories !== undefined) feature.categories = categories;
  return byId === undefined ? { feature } : { feature, byId };
}

interface Output {
  x: Float32Array;
  width: number;
  offset: number;
  /** Writing over the raw matrix itself: a column that would not change is left alone. */
  inPlace: boolean;
  numTrain: number;
}

/** Imputes, scales or encodes one column of every row, training and test, into the output. */
function encodeColumn(raw: RawMatrix, column: RawColumn, feature: FittedFeature, byId: (Category | undefined)[] | undefined, out: Output): void {
  const slots = encodedWidth(feature);
  const nullCategory = feature.categories?.[NULL_CATEGORY_KEY];
  const unchanged = out.inPlace && byId === undefined && feature.preprocessor.scale === 'preserve';
  // Training rows have no NaN left to impute when the rule is 'error' (fitColumn checked): only test rows can.
  const first = unchanged && feature.preprocessor.impute === 'error' ? out.numTrain : 0;
  for (let r = first; r < raw.rows; r++) {
    const from = r * raw.width + column.offset;
    const to = r * out.width + out.offset;
    for (let e = 0; e < feature.size; e++) {
      let value = raw.x[from + e] as number;
      if (byId !== undefined) {
        const category = Number.isNaN(value) ? nullCategory : byId[value];
        value =
          category !== undefined
            ? category.value
            : impute(Number.NaN, feature.name, feature.preprocessor, feature.statistics, column.keys![value]);
      }
      if (unchanged && !Number.isNaN(value)) continue;
      writeFeature(feature, value, out.x, to + e * slots);
    }
  }
}

/** Replaces category codes with the mean of the first label over the category's training rows. */
function targetEncode(
  column: string,
  values: Float64Array,
  categories: Record<string, Category>,
  target: ArrayLike<number> | undefined,
): void {
  if (target === undefined) {
    throw invalid(`column "${column}" cannot be target encoded without a label`, 'use "native", "one_hot" or "ordinal"');
  }
  const sums = new Map<number, number>();
  values.forEach((code, r) => sums.set(code, (sums.get(code) ?? 0) + (target[r] as number)));
  const means = new Map<number, number>();
  for (const category of Object.values(categories)) {
    const mean = category.members === 0 ? Number.NaN : (sums.get(category.value) ?? 0) / category.members;
    means.set(category.value, mean);
    category.value = mean;
  }
  values.forEach((code, r) => (values[r] = means.get(code) as number));
}

function writeFeature(feature: FittedFeature, value: number, out: Float32Array, at: number): void {
  const imputed = impute(value, feature.name, feature.preprocessor, feature.statistics);
  if (feature.preprocessor.encode !== 'one_hot') {
    out[at] = scale(imputed, feature.preprocessor, feature.statistics);
    return;
  }
  const slot = Math.round(imputed) - 1;
  for (let i = 0; i < encodedWidth(feature); i++) out[at + i] = i === slot ? 1 : 0;
}

function encodedWidth(feature: FittedFeature): number {
  if (feature.preprocessor.encode !== 'one_hot' || feature.categories === undefined) return 1;
  return Object.keys(feature.categories).length - 1;
}

function oneHotNames(feature: FittedFeature): string[] {
  const names = new Array<string>(encodedWidth(feature));
  for (const [key, category] of Object.entries(feature.categories ?? {})) {
    if (key !== NULL_CATEGORY_KEY) names[category.value - 1] = `${feature.name}=${key}`;
  }
  return names;
}

function checkWidth(feature: { name: string; size: number }, received: number): void {
  if (received !== feature.size) throw mismatchedWidth(feature.name, feature.size, received);
}

// JSON has no NaN: statistics of odd columns (e.g. a target mean of an empty category) come back null.
function restoreNaN(statistics: Statistics): Statistics {
  const out = { ...statistics } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) {
    if (value === null) out[key] = Number.NaN;
  }
  return out as unknown as Statistics;
}
