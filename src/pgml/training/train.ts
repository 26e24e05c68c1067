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
import { checkHyperparamNames } from '../engines/engine.js';
import { checkHyperparamLimits } from '../engines/limits.js';
import { getEngineFactory } from '../engines/registry.js';
import { planDataset } from '../preparation/dataset.js';
import { hyperparamCandidates, parseSearchArgs, parseSearchParams, type Search } from './search-plan.js';
import type { Sampling } from '../preparation/sampling.js';
import {
  deployedMetrics,
  dropSnapshotTable,
  findProject,
  lastSnapshot,
  materializeSnapshot,
  readRelationMatrix,
  registerModel,
  reserveSnapshotId,
  resolveRelation,
  type NewSnapshot,
} from '../store/index.js';
import { prepareDataset } from './prepare.js';
import { ProgressNotices } from './progress.js';
import { runSearch, type SearchWinner } from './search.js';
import { trainingSettings } from './settings.js';
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
export function train(ctx: CallContext, request: TrainRequest): Promise<TrainResult> {
  return withStatementLimits(ctx, (signal) => trainUntil(ctx, request, signal));
}

async function trainUntil(ctx: CallContext, request: TrainRequest, signal: AbortSignal): Promise<TrainResult> {
  const info = (message: string): void => ctx.notice(message, 'INFO');
  const existing = await findProject(ctx.db, request.projectName);
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
  const relation = await resolveRelation(ctx.db, source.readFrom);
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
    const raw = await readRelationMatrix(ctx.db, relation, plan, trainingSettings().memoryMb * 1024 * 1024, copy);
    throwIfCanceled(signal);
    const options = {
      testSize: source.testSize,
      // Stratifying needs a label: unsupervised data without one is split at random instead.
      testSampling: source.testSampling === 'stratified' && source.yColumnNames.length === 0 ? ('random' as const) : source.testSampling,
    };
    const data = await prepareDataset({ plan, raw, options }, signal);
    info(
      `Dataset { num_features: ${data.pipeline.rawWidth}, num_labels: ${data.numLabels}, num_distinct_labels: ${data.numClasses}, ` +
        `num_rows: ${data.numRows}, num_train_rows: ${data.numTrainRows}, num_test_rows: ${data.numTestRows} }`,
    );
    info(`Training Model { task: ${task}, algorithm: ${algorithm} }`);

    throwIfCanceled(signal);
    const progress = new ProgressNotices(info, algorithm, trainingSettings().progressSeconds);
    let winner: SearchWinner;
    try {
      winner = await runSearch({ factory, task, data, candidates, search: request.search, cv: searchArgs.cv, notice: info, signal, progress: progress.report });
    } finally {
      progress.stop();
    }
    const runtimeNotice = factory.runtimeNotice?.(winner.engine.runtime);
    if (runtimeNotice !== undefined) info(runtimeNotice);
    info(`Trained on runtime ${winner.engine.runtime}. Metrics: ${JSON.stringify(winner.metrics)}`);

    const deploy = request.automaticDeploy && (await shouldDeploy(ctx, existing, task, winner.metrics, info));
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
    throwIfCanceled(signal);
    const registered = await registerModel(ctx.db, {
      project: existing ? { id: existing.id } : { name: request.projectName, task },
      snapshot,
      algorithm,
      runtime: winner.engine.runtime,
      hyperparams: winner.hyperparams,
      metrics: winner.metrics,
      search: request.search,
      searchParams,
      searchArgs: rawObject(request.searchArgs),
      numFeatures: data.pipeline.rawWidth,
      pipeline: data.pipeline.toJSON(),
      labels: data.labels,
      estimator: await winner.engine.serialize(),
      testResults: await testResults(winner.engine, data, task, algorithm, winner.heldOut),
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

/** PostgresML's rule: deploy unless the deployed model's key metric is better than the new one's. */
async function shouldDeploy(
  ctx: CallContext,
  existing: Project | null,
  task: Task,
  metrics: Record<string, unknown>,
  info: (message: string) => void,
): Promise<boolean> {
  if (existing === null) return true;
  const deployed = await deployedMetrics(ctx.db, existing.id);
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
