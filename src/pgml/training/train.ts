/**
 * pgml.train / pgml.train_joint end to end, as PostgresML's train_joint (api.rs): project rules,
 * snapshot (new from relation_name, or the project's last one), read the relation through the
 * caller's session, build the dataset, search and fit on the engine pool, score, decide the
 * automatic deployment, and register everything in one statement.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { throwIfCanceled, withStatementLimits } from '../../functions/cancel.js';
import type { CallContext } from '../../functions/index.js';
import type { Project } from '../domain/project.js';
import { snapshotName } from '../domain/snapshot.js';
import { forgetDeployment } from '../serving/deployments.js';
import { keyMetric, type Task } from '../domain/task.js';
import { checkHyperparamNames, type EngineFactory, type Runtime } from '../engines/engine.js';
import { checkHyperparamLimits } from '../engines/limits.js';
import { discardPages, RELEASE_MIN_SHARED_BYTES, sharedBytes } from '../engines/memory-release.js';
import { getEngineFactory } from '../engines/registry.js';
import { planDataset, type DatasetJob } from '../preparation/dataset.js';
import { hyperparamCandidates, parseSearchArgs, parseSearchParams, type Hyperparams, type Search } from './search-plan.js';
import type { Sampling } from '../preparation/sampling.js';
import {
  dropSnapshotTable,
  lastSnapshot,
  lookupTraining,
  materializeSnapshot,
  readRelationMatrix,
  registerModel,
  reserveSnapshotId,
  resolveRelation,
  type NewSnapshot,
  type TestResults,
  type TrainingLookup,
} from '../store/index.js';
import { summarize, type DatasetSummary, type FitJobResult } from './fit-job.js';
import { prepareAndFit, prepareDataset } from './prepare.js';
import { ProgressNotices } from './progress.js';
import { runSearch, type SearchWinner } from './search.js';
import { trainingReadPace, trainingSettings } from './settings.js';
import { testResults } from './test-results.js';

export interface TrainRequest {
  projectName: string;
  task: Task | null;
  relationName: string | null;
  yColumnNames: string[] | null;
  algorithm: string;
  hyperparams: Record<string, unknown>;
  search: Search | null;
  searchParams: unknown;
  searchArgs: unknown;
  testSize: number;
  testSampling: Sampling;
  /** PostgresML's runtime argument: 'python' | 'rust'; our engines pick their own, so it is recorded nowhere. */
  runtime: string | null;
  automaticDeploy: boolean;
  materializeSnapshot: boolean;
  preprocess: unknown;
}

export interface TrainResult {
  project: string;
  task: string;
  algorithm: string;
  deployed: boolean;
}

/**
 * Training stops with 57014 on a CancelRequest, statement_timeout or a closed client, at the next
 * step or inside a fit (the engine pool terminates its worker). Everything is registered in one
 * statement at the end, after the last check: a stopped training leaves nothing behind.
 */
export async function train(ctx: CallContext, request: TrainRequest): Promise<TrainResult> {
  throwIfCanceled(ctx.signal);
  // The session's statement_timeout comes with the rest of the first statement; the limits count
  // from the client's statement's start, this statement included.
  const lookup = await lookupTraining(ctx.db, request.projectName, request.relationName);
  return withStatementLimits(ctx, (signal) => trainUntil(ctx, request, lookup, signal), lookup.statementTimeoutMs);
}

async function trainUntil(ctx: CallContext, request: TrainRequest, lookup: TrainingLookup, signal: AbortSignal): Promise<TrainResult> {
  const info = (message: string): void => ctx.notice(message, 'INFO');
  const existing = lookup.project;
  const task = projectTask(request, existing);
  const algorithm = defaultAlgorithm(request.algorithm, task);
  const factory = getEngineFactory(algorithm, task);

  // Everything that can be checked without data is checked before the relation is read.
  const searchArgs = parseSearchArgs(request.search, request.searchArgs);
  const searchParams = parseSearchParams(request.searchParams);
  checkHyperparamNames(algorithm, { ...request.hyperparams, ...searchParams }, factory.hyperparams);
  const candidates = hyperparamCandidates(request.hyperparams, searchParams, request.search, searchArgs.nIter);
  for (const candidate of candidates) checkHyperparamLimits(algorithm, candidate);

  const source = await snapshotSource(ctx, request, existing, task);
  const relation = source.snapshotId === null ? lookup.relation() : await resolveRelation(ctx.db, source.readFrom);
  const plan = planDataset({ task, columns: relation.columns, yColumnNames: source.yColumnNames, preprocess: source.preprocess });
  // PostgresML's order for a new materialized snapshot: the relation is copied into
  // pgml.snapshot_<id> before training (once its size is accepted), and the model is trained on
  // the copy, so the relation is read once. The snapshot's row comes with the model, at the end.
  const copyId = request.materializeSnapshot && source.snapshotId === null ? await reserveSnapshotId(ctx.db) : null;
  const copy =
    copyId === null
      ? undefined
      : async (): Promise<string> => {
          const table = await materializeSnapshot(ctx.db, copyId, relation.quoted, source.testSampling);
          info(`Snapshot of table "${source.relationName}" created and saved in ${snapshotName(copyId)}`);
          return table;
        };
  try {
    const raw = await readRelationMatrix(ctx.db, relation, plan, trainingSettings().memoryMb * 1024 * 1024, copy, trainingReadPace(ctx));
    throwIfCanceled(signal);
    const dataset = {
      plan,
      raw,
      options: {
        testSize: source.testSize,
        // Stratifying needs a label: unsupervised data without one is split at random instead.
        testSampling: source.testSampling === 'stratified' && source.yColumnNames.length === 0 ? ('random' as const) : source.testSampling,
      },
    };
    const fitting: Fitting = { factory, task, algorithm, info, signal };
    // One model without cross-validation trains in one worker hand-off; a search fits its candidates side by side.
    const trained =
      candidates.length === 1 && searchArgs.cv < 2
        ? await fitOne(fitting, dataset, candidates[0] as Hyperparams)
        : await fitBySearch(fitting, dataset, candidates, request.search, searchArgs.cv);
    const runtimeNotice = factory.runtimeNotice?.(trained.runtime, trained.hyperparams);
    if (runtimeNotice !== undefined) info(runtimeNotice);
    info(`Trained on runtime ${trained.runtime}. Metrics: ${JSON.stringify(trained.metrics)}`);

    const deploy = request.automaticDeploy && shouldDeploy(ctx, lookup.deployedMetrics, task, trained.metrics, info);
    const data = trained.data;
    const snapshot: NewSnapshot | { id: number } =
      source.snapshotId !== null
        ? { id: source.snapshotId }
        : {
            relationName: source.relationName,
            yColumnNames: source.yColumnNames,
            testSize: source.testSize,
            testSampling: source.testSampling,
            columns: data.snapshotColumns,
            analysis: data.analysis,
            materialized: request.materializeSnapshot,
            ...(copyId === null ? {} : { reservedId: copyId }),
          };
    const estimator = await trained.estimator();
    const results = await trained.testResults();
    throwIfCanceled(signal);
    const registered = await registerModel(ctx.db, {
      project: existing ? { id: existing.id } : { name: request.projectName, task },
      snapshot,
      algorithm,
      runtime: trained.runtime,
      hyperparams: trained.hyperparams,
      metrics: trained.metrics,
      search: request.search,
      searchParams,
      searchArgs: rawObject(request.searchArgs),
      numFeatures: data.rawWidth,
      pipeline: data.pipeline,
      labels: data.labels,
      estimator,
      testResults: results,
      deploy,
    });

    if (deploy) forgetDeployment(ctx, registered.projectId);
    info(deploy ? `Deploying model id: ${registered.modelId}` : 'Not deploying newly trained model.');
    return { project: request.projectName, task, algorithm, deployed: deploy };
  } catch (error) {
    // Outside a transaction block nothing else would remove the copy (inside, the rollback does).
    if (copyId !== null) await dropSnapshotTable(ctx.db, copyId);
    throw error;
  }
}

interface Fitting {
  factory: EngineFactory;
  task: Task;
  algorithm: string;
  info(message: string): void;
  signal: AbortSignal;
}

/** A fitted and scored model, whichever way it was trained; the estimator and test results on demand. */
interface Trained {
  data: DatasetSummary;
  runtime: Runtime;
  hyperparams: Hyperparams;
  metrics: Record<string, unknown>;
  estimator(): Promise<Uint8Array>;
  testResults(): Promise<TestResults | null>;
}

/** PostgresML's notices once the training set is built, before the fit. */
function datasetNotices(fitting: Fitting, data: DatasetSummary): void {
  fitting.info(
    `Dataset { num_features: ${data.rawWidth}, num_labels: ${data.numLabels}, num_distinct_labels: ${data.numClasses}, ` +
      `num_rows: ${data.numRows}, num_train_rows: ${data.numTrainRows}, num_test_rows: ${data.numTestRows} }`,
  );
  fitting.info(`Training Model { task: ${fitting.task}, algorithm: ${fitting.algorithm} }`);
}

/** The training set, fit, scoring, test results and serialized model in one job on one worker. */
async function fitOne(fitting: Fitting, dataset: DatasetJob, hyperparams: Hyperparams): Promise<Trained> {
  const { task, algorithm, signal } = fitting;
  let data: DatasetSummary | undefined;
  let progress: ProgressNotices | undefined;
  let result: FitJobResult;
  try {
    result = await prepareAndFit(
      { dataset, algorithm, task, hyperparams },
      {
        dataset: (summary) => {
          data = summary;
          datasetNotices(fitting, summary);
          progress = new ProgressNotices(fitting.info, algorithm, trainingSettings().progressSeconds);
        },
        progress: (update) => progress?.report(update),
      },
      signal,
    );
  } finally {
    progress?.stop();
    dropMatrix(dataset);
  }
  if (data === undefined) throw new PgError(SqlState.InternalError, 'the training job ended without its training set');
  return {
    data,
    runtime: result.runtime,
    hyperparams,
    metrics: result.metrics,
    estimator: async () => result.model,
    testResults: async () => result.testResults,
  };
}

/**
 * The job is over and nothing reads the relation's matrix again (what is registered comes from its
 * summary): its pages go back now, not when this thread and the engine threads have each collected
 * their last reference, which for this thread may come after the next training has read its own
 * matrix (issue 15). Small matrices are left to the collector.
 */
function dropMatrix(dataset: DatasetJob): void {
  if (sharedBytes(dataset.raw) < RELEASE_MIN_SHARED_BYTES) return;
  discardPages(dataset.raw.x);
  discardPages(dataset.raw.y);
}

/** Several candidates, or cross-validation folds: the training set comes back and the search fits them on the pool. */
async function fitBySearch(fitting: Fitting, dataset: DatasetJob, candidates: Hyperparams[], search: Search | null, cv: number): Promise<Trained> {
  const { factory, task, algorithm, info, signal } = fitting;
  const data = await prepareDataset(dataset, signal);
  const summary = summarize(data);
  datasetNotices(fitting, summary);
  throwIfCanceled(signal);
  const progress = new ProgressNotices(info, algorithm, trainingSettings().progressSeconds);
  let winner: SearchWinner;
  try {
    winner = await runSearch({ algorithm, task, data, candidates, search, cv, notice: info, signal, progress: progress.report });
  } finally {
    progress.stop();
  }
  return {
    data: summary,
    runtime: winner.runtime,
    hyperparams: winner.hyperparams,
    metrics: winner.metrics,
    estimator: async () => winner.model,
    // The dashboard's plots predict a bounded sample again (permutation importance): the winner, loaded on the pool.
    testResults: async () => testResults(await factory.deserialize(winner.model), data, task, algorithm, winner.heldOut),
  };
}

function projectTask(request: TrainRequest, existing: Project | null): Task {
  if (existing === null) {
    if (request.task === null) {
      throw new PgError(
        SqlState.InvalidParameterValue,
        `Project \`${request.projectName}\` does not exist. To create a new project, you must specify a \`task\`.`,
        { hint: "pass task => 'regression', 'classification', 'clustering' or 'decomposition'" },
      );
    }
    return request.task;
  }
  if (request.task !== null && request.task !== existing.task) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `Project \`${existing.name}\` already exists with a different task: \`${existing.task}\`. Create a new project instead.`,
    );
  }
  return existing.task;
}

/** PostgresML swaps the default `linear` for kmeans (clustering) and pca (decomposition). */
function defaultAlgorithm(algorithm: string, task: Task): string {
  if (algorithm !== 'linear') return algorithm;
  if (task === 'clustering') return 'kmeans';
  if (task === 'decomposition') return 'pca';
  return algorithm;
}

interface SnapshotSource {
  /** The relation the snapshot row names. */
  relationName: string;
  /** What is actually read: the relation, or the materialized copy of a reused snapshot. */
  readFrom: string;
  yColumnNames: string[];
  testSize: number;
  testSampling: Sampling;
  preprocess: unknown;
  /** Set when an existing snapshot is reused. */
  snapshotId: number | null;
}

/** PostgresML's notices: "Snapshotting table ..." for a new snapshot, "Using existing snapshot ..." on reuse. */
async function snapshotSource(ctx: CallContext, request: TrainRequest, existing: Project | null, task: Task): Promise<SnapshotSource> {
  const supervised = task === 'regression' || task === 'classification';
  if (request.relationName !== null) {
    ctx.notice(`Snapshotting table "${request.relationName}", this may take a little while...`, 'INFO');
    if (supervised && (request.yColumnNames === null || request.yColumnNames.length === 0)) {
      throw new PgError(
        SqlState.InvalidParameterValue,
        'You must pass a `y_column_name` when you pass a `relation_name` for a supervised task.',
      );
    }
    return {
      relationName: request.relationName,
      readFrom: request.relationName,
      yColumnNames: request.yColumnNames ?? [],
      testSize: request.testSize,
      testSampling: request.testSampling,
      preprocess: request.preprocess,
      snapshotId: null,
    };
  }
  const snapshot = existing === null ? null : await lastSnapshot(ctx.db, existing.id);
  if (snapshot === null) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      'You must pass a `relation_name` and `y_column_name` to snapshot the first time you train a model.',
    );
  }
  ctx.notice(`Using existing snapshot from ${snapshotName(snapshot.id)}`, 'INFO');
  return {
    relationName: snapshot.relationName,
    readFrom: snapshot.materialized ? `pgml.snapshot_${snapshot.id}` : snapshot.relationName,
    yColumnNames: snapshot.yColumnNames,
    testSize: snapshot.testSize,
    testSampling: snapshot.testSampling,
    // The preprocessing the snapshot was taken with; a retrain that passes its own overrides it.
    preprocess: hasKeys(request.preprocess) ? request.preprocess : snapshotPreprocess(snapshot.columns),
    snapshotId: snapshot.id,
  };
}

function snapshotPreprocess(columns: { name: string; label: boolean; preprocessor: unknown }[] | null): Record<string, unknown> {
  return Object.fromEntries((columns ?? []).filter((c) => !c.label).map((c) => [c.name, c.preprocessor]));
}

/**
 * PostgresML's rule: deploy unless the deployed model's key metric is better than the new one's.
 * `deployed` is the deployed model's metrics as read before the training (undefined: nothing deployed).
 */
function shouldDeploy(
  ctx: CallContext,
  deployed: Record<string, unknown> | null | undefined,
  task: Task,
  metrics: Record<string, unknown>,
  info: (message: string) => void,
): boolean {
  if (deployed === undefined) return true;
  const metric = keyMetric(task);
  const current = numeric(deployed?.[metric]);
  const candidate = numeric(metrics[metric]);
  info(`Comparing to deployed model ${metric}: ${current ?? 'none'}`);
  if (current === undefined) return true;
  if (candidate === undefined) return false;
  if (current > candidate) {
    ctx.notice(`New model's ${metric} is not better than current model. New: ${candidate}, Current ${current}`, 'WARNING');
    return false;
  }
  return true;
}

function numeric(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function hasKeys(value: unknown): boolean {
  const object = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return typeof object === 'object' && object !== null && Object.keys(object).length > 0;
}

function rawObject(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}
