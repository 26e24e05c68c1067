/**
 * Builds the training Dataset of pgml.train from the rows of the relation: split (sampling.ts),
 * labels to class indexes or numbers, the feature pipeline fitted on the training rows and applied
 * to the test rows (pipeline.ts), and the snapshot's `columns`/`analysis` JSON in PostgresML's shape.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from '../domain/task.js';
import { describeColumn, type ColumnSpec, type SourceColumn } from './columns.js';
import { FeaturePipeline, type FeaturePipelineJson, type Row } from './pipeline.js';
import { parsePreprocess, DEFAULT_PREPROCESSOR, type Preprocessor } from './preprocess.js';
import { RawMatrixBuilder, type RawColumn, type RawMatrix } from './raw-matrix.js';
import { identicalRowGroups, trainTestSplit, type Sampling, type Split } from './sampling.js';

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

/** What reading the relation needs to know, checked before any row is read. */
export interface DatasetPlan {
  task: Task;
  specs: ColumnSpec[];
  yColumnNames: readonly string[];
  preprocessors: Map<string, Preprocessor>;
}

export function planDataset(input: Pick<DatasetInput, 'task' | 'columns' | 'yColumnNames' | 'preprocess'>): DatasetPlan {
  const specs = input.columns.map(describeColumn);
  const positionOf = new Map(specs.map((s, i) => [s.name, i]));
  const supervised = input.task === 'regression' || input.task === 'classification';
  const labels = resolveLabels(input, positionOf, supervised).map((i) => specs[i] as ColumnSpec);
  for (const label of labels) checkLabelType(input.task, label);
  if (specs.length === labels.length) {
    throw new PgError(SqlState.InvalidParameterValue, 'the relation has no feature columns besides the label');
  }
  const preprocessors = parsePreprocess(input.preprocess);
  for (const name of preprocessors.keys()) {
    if (!positionOf.has(name)) {
      throw new PgError(SqlState.UndefinedColumn, `preprocess names column "${name}", which the relation does not have`);
    }
  }
  return { task: input.task, specs, yColumnNames: input.yColumnNames, preprocessors };
}

/** Collects the relation's rows; `maxBytes` bounds the feature matrix (`tooLarge` explains a refusal). */
export function matrixBuilder(plan: DatasetPlan, maxBytes: number, tooLarge: (bytes: number) => PgError): RawMatrixBuilder {
  return new RawMatrixBuilder(plan.specs, plan.yColumnNames, maxBytes, tooLarge);
}

/** The dataset of rows given as JavaScript values: the streaming path, fed from memory (unit tests). */
export function buildDataset(input: DatasetInput): TrainingDataset {
  const plan = planDataset(input);
  const builder = matrixBuilder(plan, 2 ** 31, (bytes) => new PgError(SqlState.OutOfMemory, `the training data needs ${bytes} bytes`));
  for (const row of input.rows) {
    builder.addValues((c) => (Array.isArray(row) ? (row as readonly unknown[])[c] : (row as Record<string, unknown>)[plan.specs[c]!.name]));
  }
  return datasetFromMatrix(plan, builder.finish(), input);
}

/**
 * Splits the raw matrix (its rows reordered in place: training rows first), encodes the labels,
 * and fits the feature pipeline on the training rows, encoding every row with it.
 */
export function datasetFromMatrix(
  plan: DatasetPlan,
  raw: RawMatrix,
  options: Pick<DatasetInput, 'testSize' | 'testSampling' | 'seed'>,
): TrainingDataset {
  const supervised = plan.task === 'regression' || plan.task === 'classification';
  const labelCols = raw.labels.length;
  const firstLabel = raw.labels[0];
  const classes = plan.task === 'classification' && firstLabel !== undefined ? collectClasses(firstLabel, raw) : null;
  // Per row: the class index, the label value, or (unsupervised) the raw label for stratifying.
  const labels = classes !== null ? classIndexes(classes, firstLabel!, raw) : raw.y;
  if (supervised && classes === null) checkPresent(raw);

  const split: Split = trainTestSplit(raw.rows, {
    testSize: options.testSize,
    sampling: options.testSampling,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.testSampling === 'stratified' && firstLabel !== undefined
      ? plan.task === 'regression'
        ? { identicalRows: identicalRowGroups(raw.x, raw.width, raw.y, labelCols, raw.rows) }
        : { strata: strided(labels, labelCols) }
      : {}),
  });
  const { order, numTrain } = split;
  if (options.testSampling !== 'last') permuteRows(raw.x, raw.width, order);

  // The labels in split order, in shared memory like the matrix: the engine pool's jobs (a search's
  // candidates, a whole fit) read them where they are instead of each receiving a copy.
  const y = new Float32Array(new SharedArrayBuffer(supervised ? raw.rows * labelCols * 4 : 0));
  if (supervised) {
    for (let i = 0; i < raw.rows; i++) {
      for (let l = 0; l < labelCols; l++) y[i * labelCols + l] = labels[(order[i] as number) * labelCols + l] as number;
    }
  }
  const yTrain = y.subarray(0, supervised ? numTrain * labelCols : 0);
  const yTest = y.subarray(yTrain.length);
  if (classes !== null) checkClasses(classes, yTrain);

  const target = supervised ? strided(yTrain, labelCols) : undefined;
  const { pipeline, x } = FeaturePipeline.fit(raw, plan.preprocessors, numTrain, target);
  const labelSpecs = raw.labels.map((l) => l.spec);
  return {
    xTrain: x.subarray(0, numTrain * pipeline.width),
    yTrain,
    xTest: x.subarray(numTrain * pipeline.width, raw.rows * pipeline.width),
    yTest,
    numRows: raw.rows,
    numTrainRows: numTrain,
    numTestRows: raw.rows - numTrain,
    numFeatures: pipeline.width,
    numLabels: supervised ? labelCols : 0,
    numClasses: classes?.length ?? 0,
    pipeline,
    labels: labelEncoding(plan.task, labelSpecs, classes),
    snapshotColumns: snapshotColumns(plan.specs, plan.yColumnNames, pipeline),
    analysis: { samples: raw.rows },
  };
}

/** A TrainingDataset as plain data, to cross between threads: the pipeline as its JSON. */
export type PlainDataset = Omit<TrainingDataset, 'pipeline'> & { pipeline: FeaturePipelineJson };

export interface DatasetJob {
  plan: DatasetPlan;
  raw: RawMatrix;
  options: Pick<DatasetInput, 'testSize' | 'testSampling' | 'seed'>;
}

/**
 * datasetFromMatrix for an engine pool thread (training/prepare.ts), so sorting and encoding a
 * million rows never holds the event loop. The matrices are shared memory: nothing is copied.
 */
export function datasetJob(job: DatasetJob): PlainDataset {
  const data = datasetFromMatrix(job.plan, job.raw, job.options);
  return { ...data, pipeline: data.pipeline.toJSON() };
}

/** Column 0 of a rows × width matrix. */
function strided(values: ArrayLike<number>, width: number): ArrayLike<number> {
  if (width === 1) return values;
  return Float64Array.from({ length: values.length / width }, (_, r) => values[r * width] as number);
}

/**
 * Reorders the rows of a row-major matrix in place so that row i becomes the old row order[i]:
 * each cycle of the permutation is followed once, with one row of scratch.
 */
function permuteRows(x: Float32Array, width: number, order: Uint32Array): void {
  const done = new Uint8Array(order.length);
  const scratch = new Float32Array(width);
  for (let start = 0; start < order.length; start++) {
    if (done[start] === 1 || order[start] === start) continue;
    scratch.set(x.subarray(start * width, (start + 1) * width));
    let at = start;
    for (;;) {
      done[at] = 1;
      const from = order[at] as number;
      if (from === start) {
        x.set(scratch, at * width);
        break;
      }
      x.copyWithin(at * width, from * width, (from + 1) * width);
      at = from;
    }
  }
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

function resolveLabels(input: Pick<DatasetInput, 'task' | 'yColumnNames'>, positionOf: Map<string, number>, supervised: boolean): number[] {
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

/** A label column of a type the task cannot learn is refused before the relation is read. */
function checkLabelType(task: Task, spec: ColumnSpec): void {
  if (spec.array) throw new PgError(SqlState.FeatureNotSupported, `label column "${spec.name}" cannot be an array`);
  if (task === 'regression' && spec.kind === 'categorical') {
    throw new PgError(SqlState.DatatypeMismatch, `regression label "${spec.name}" must be numeric, not ${spec.pgType}`, {
      hint: "use task => 'classification' for text labels",
    });
  }
}

/** The distinct label values, each as pgml.predict reports it. */
function collectClasses(label: RawColumn, raw: RawMatrix): ClassValue[] {
  const stride = raw.labels.length;
  const seen = new Set<number>();
  for (let r = 0; r < raw.rows; r++) {
    const v = raw.y[r * stride + label.offset] as number;
    if (Number.isNaN(v)) throw nullLabel(label.spec);
    seen.add(v);
  }
  const values = [...seen].map((v) => classValue(label, v));
  // Sorted so the positive class of a binary problem is the larger value (1, true), as in PostgresML.
  return values.sort((a, b) =>
    typeof a === 'string' || typeof b === 'string' ? (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0) : Number(a) - Number(b),
  );
}

function classValue(label: RawColumn, value: number): ClassValue {
  if (label.keys !== undefined) return label.keys[value] as string;
  if (label.spec.pgType === 'bool') return value !== 0;
  return value;
}

function classIndexes(classes: ClassValue[], label: RawColumn, raw: RawMatrix): Float32Array {
  const stride = raw.labels.length;
  const indexOf = new Map<number, number>();
  const key = (c: ClassValue): number =>
    label.keys !== undefined ? label.keys.indexOf(c as string) : typeof c === 'boolean' ? Number(c) : (c as number);
  classes.forEach((c, i) => indexOf.set(key(c), i));
  const out = new Float32Array(raw.rows);
  for (let r = 0; r < raw.rows; r++) out[r] = indexOf.get(raw.y[r * stride + label.offset] as number) as number;
  return out;
}

/** Regression labels: every one present. */
function checkPresent(raw: RawMatrix): void {
  const stride = raw.labels.length;
  for (let i = 0; i < raw.y.length; i++) {
    if (Number.isNaN(raw.y[i])) throw nullLabel(raw.labels[i % stride]!.spec);
  }
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
