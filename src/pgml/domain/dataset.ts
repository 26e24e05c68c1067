/**
 * Builds the training Dataset of pgml.train from the rows of the relation: split (sampling.ts),
 * labels to class indexes or numbers, the feature pipeline fitted on the training rows and applied
 * to the test rows (pipeline.ts), and the snapshot's `columns`/`analysis` JSON in PostgresML's shape.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from '../engines/engine.js';
import { describeColumn, readCategory, readScalar, type ColumnSpec, type SourceColumn } from './columns.js';
import { FeaturePipeline, type Row } from './pipeline.js';
import { parsePreprocess, DEFAULT_PREPROCESSOR } from './preprocess.js';
import { trainTestSplit, type Sampling, type Split } from './sampling.js';

export type ClassValue = number | string | boolean;

/** How labels were encoded; stored with the model so predictions map back to label values. */
export type LabelEncoding =
  | { kind: 'classes'; column: string; pgType: string; classes: ClassValue[] }
  | { kind: 'values'; columns: string[] };

export interface DatasetInput {
  task: Task;
  columns: readonly SourceColumn[];
  rows: readonly Row[];
  /** pgml.train's y_column_name; several names make a joint regression. */
  yColumnNames: readonly string[];
  /** pgml.train's `preprocess` JSON (object or text). */
  preprocess?: unknown;
  testSize: number;
  testSampling: Sampling;
  seed?: number;
}

export interface TrainingDataset {
  xTrain: Float32Array;
  /** numTrainRows × numLabels, row-major: class indexes for classification, values for regression. */
  yTrain: Float32Array;
  xTest: Float32Array;
  yTest: Float32Array;
  numRows: number;
  numTrainRows: number;
  numTestRows: number;
  /** Model input width after encoding. */
  numFeatures: number;
  numLabels: number;
  /** Classification only; 0 otherwise. */
  numClasses: number;
  pipeline: FeaturePipeline;
  labels: LabelEncoding | null;
  /** PostgresML's `pgml.snapshots.columns`. */
  snapshotColumns: SnapshotColumn[];
  /** PostgresML's `pgml.snapshots.analysis`. */
  analysis: { samples: number };
}

export interface SnapshotColumn {
  name: string;
  pg_type: string;
  label: boolean;
  position: number;
  size: number;
  array: boolean;
  preprocessor: unknown;
  statistics: unknown;
}

export function buildDataset(input: DatasetInput): TrainingDataset {
  const specs = input.columns.map(describeColumn);
  const positionOf = new Map(specs.map((s, i) => [s.name, i]));
  const supervised = input.task === 'regression' || input.task === 'classification';
  const labelIndexes = resolveLabels(input, positionOf, supervised);
  const featureIndexes = specs.map((_, i) => i).filter((i) => !input.yColumnNames.includes(specs[i]!.name));
  if (featureIndexes.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, 'the relation has no feature columns besides the label');
  }
  const preprocessors = parsePreprocess(input.preprocess);
  for (const name of preprocessors.keys()) {
    if (!positionOf.has(name)) {
      throw new PgError(SqlState.UndefinedColumn, `preprocess names column "${name}", which the relation does not have`);
    }
  }

  const read = (row: Row, index: number): unknown =>
    Array.isArray(row) ? (row as readonly unknown[])[index] : (row as Record<string, unknown>)[specs[index]!.name];

  const labelSpecs = labelIndexes.map((i) => specs[i] as ColumnSpec);
  const firstLabel = labelSpecs[0];
  const classification = input.task === 'classification' && firstLabel !== undefined;
  const classes = classification ? collectClasses(firstLabel, input.rows.map((row) => read(row, labelIndexes[0]!))) : null;

  const strata =
    input.testSampling === 'stratified' && firstLabel !== undefined
      ? input.rows.map((row) => String(read(row, labelIndexes[0]!)))
      : undefined;
  const split: Split = trainTestSplit(input.rows.length, {
    testSize: input.testSize,
    sampling: input.testSampling,
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    ...(strata === undefined ? {} : { strata }),
  });

  const labelsOf = (rows: number[]): Float32Array => {
    const y = new Float32Array(rows.length * labelSpecs.length);
    rows.forEach((r, i) =>
      labelSpecs.forEach((spec, l) => {
        const value = read(input.rows[r] as Row, labelIndexes[l]!);
        y[i * labelSpecs.length + l] = classes !== null ? classIndex(classes, spec, value) : labelValue(spec, value);
      }),
    );
    return y;
  };
  const yTrain = supervised ? labelsOf(split.train) : new Float32Array(0);
  const yTest = supervised ? labelsOf(split.test) : new Float32Array(0);
  if (classes !== null) checkClasses(classes, yTrain);

  const featureSpecs = featureIndexes.map((i) => specs[i] as ColumnSpec);
  const target = supervised ? Float32Array.from(split.train, (_, i) => yTrain[i * labelSpecs.length] as number) : undefined;
  const { pipeline, x: xTrain } = FeaturePipeline.fit(
    featureSpecs,
    preprocessors,
    split.train.length,
    (r, c) => read(input.rows[split.train[r]!] as Row, featureIndexes[c]!),
    target,
  );
  const xTest = pipeline.transformBatch(split.test.map((r) => featureIndexes.map((c) => read(input.rows[r] as Row, c))));

  return {
    xTrain,
    yTrain,
    xTest,
    yTest,
    numRows: input.rows.length,
    numTrainRows: split.train.length,
    numTestRows: split.test.length,
    numFeatures: pipeline.width,
    numLabels: supervised ? labelSpecs.length : 0,
    numClasses: classes?.length ?? 0,
    pipeline,
    labels: labelEncoding(input.task, labelSpecs, classes),
    snapshotColumns: snapshotColumns(specs, input.yColumnNames, pipeline),
    analysis: { samples: input.rows.length },
  };
}

/** The label value a class index stands for, as pgml.predict reports it (a real where it can be one). */
export function decodeClass(labels: LabelEncoding, index: number): ClassValue {
  if (labels.kind !== 'classes') return index;
  const value = labels.classes[index];
  if (value === undefined) {
    throw new PgError(SqlState.DataCorrupted, `class index ${index} is outside the model's ${labels.classes.length} classes`);
  }
  return value;
}

function resolveLabels(input: DatasetInput, positionOf: Map<string, number>, supervised: boolean): number[] {
  if (supervised && input.yColumnNames.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `y_column_name is required for ${input.task}`);
  }
  if (input.task === 'classification' && input.yColumnNames.length > 1) {
    throw new PgError(SqlState.FeatureNotSupported, 'classification takes a single y_column_name', {
      hint: 'several label columns are supported for regression only (joint regression)',
    });
  }
  return input.yColumnNames.map((name) => {
    const index = positionOf.get(name);
    if (index === undefined) {
      throw new PgError(SqlState.UndefinedColumn, `column "${name}" not found; did you pass the correct y_column_name?`);
    }
    return index;
  });
}

function collectClasses(spec: ColumnSpec, values: unknown[]): ClassValue[] {
  if (spec.array) throw new PgError(SqlState.FeatureNotSupported, `label column "${spec.name}" cannot be an array`);
  const seen = new Map<string, ClassValue>();
  for (const value of values) {
    const label = classValue(spec, value);
    seen.set(String(label), label);
  }
  // Sorted so the positive class of a binary problem is the larger value (1, true), as in PostgresML.
  return [...seen.values()].sort((a, b) =>
    typeof a === 'string' || typeof b === 'string' ? (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0) : Number(a) - Number(b),
  );
}

function classValue(spec: ColumnSpec, value: unknown): ClassValue {
  if (value === null || value === undefined) throw nullLabel(spec);
  if (spec.kind === 'categorical') return readCategory(value, spec) as string;
  if (spec.pgType === 'bool') return Boolean(readScalar(value, spec));
  const n = readScalar(value, spec);
  if (Number.isNaN(n)) throw nullLabel(spec);
  return n;
}

function classIndex(classes: ClassValue[], spec: ColumnSpec, value: unknown): number {
  const key = String(classValue(spec, value));
  return classes.findIndex((c) => String(c) === key);
}

function labelValue(spec: ColumnSpec, value: unknown): number {
  if (spec.kind === 'categorical' || spec.array) {
    throw new PgError(SqlState.DatatypeMismatch, `regression label "${spec.name}" must be numeric, not ${spec.pgType}`, {
      hint: "use task => 'classification' for text labels",
    });
  }
  const n = readScalar(value, spec);
  if (Number.isNaN(n)) throw nullLabel(spec);
  return n;
}

function checkClasses(classes: ClassValue[], yTrain: Float32Array): void {
  const present = new Set(yTrain);
  if (present.size < 2) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `classification needs at least 2 classes in the training data, found ${present.size}` +
        (classes.length > present.size ? ` (the relation has ${classes.length})` : ''),
      { hint: 'check y_column_name, or use a larger or stratified training split' },
    );
  }
}

function nullLabel(spec: ColumnSpec): PgError {
  return new PgError(SqlState.NullValueNotAllowed, `label column "${spec.name}" has NULL values`, {
    column: spec.name,
    hint: 'filter out rows without a label, e.g. in a view with WHERE label IS NOT NULL',
  });
}

function labelEncoding(task: Task, labels: ColumnSpec[], classes: ClassValue[] | null): LabelEncoding | null {
  if (classes !== null) return { kind: 'classes', column: labels[0]!.name, pgType: labels[0]!.pgType, classes };
  if (task === 'regression') return { kind: 'values', columns: labels.map((l) => l.name) };
  return null;
}

function snapshotColumns(specs: ColumnSpec[], yColumnNames: readonly string[], pipeline: FeaturePipeline): SnapshotColumn[] {
  const fitted = new Map(pipeline.features.map((f) => [f.name, f]));
  return specs.map((spec, i) => {
    const feature = fitted.get(spec.name);
    return {
      name: spec.name,
      pg_type: spec.pgType,
      label: yColumnNames.includes(spec.name),
      position: i + 1,
      size: feature?.size ?? 1,
      array: spec.array,
      preprocessor: feature?.preprocessor ?? DEFAULT_PREPROCESSOR,
      statistics: feature === undefined ? null : { ...feature.statistics, categories: feature.categories ?? null },
    };
  });
}
