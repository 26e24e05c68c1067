/**
 * SQL on PostgresML's registry tables (pgml.projects, snapshots, models, files, deployments),
 * always through a Queryable: in a request, `ctx.db`, i.e. the caller's own session, transaction
 * and privileges.
 *
 * For serving (pgml.predict and friends):
 * - `deployedModel(db, projectName)` → Model (domain/model.ts) of the project's latest deployment
 *   ({ modelId, projectId, projectName, task, algorithm, runtime, hyperparams, metrics,
 *   numFeatures, snapshotId, pipeline, labels }); 42704 when nothing is deployed.
 *   `pipeline` feeds FeaturePipeline.fromJSON, `labels` feeds decodeClass (preparation/dataset.ts);
 *   both are null on rows PostgresML itself wrote.
 * - `modelById(db, modelId)` → the same Model for a model id; 42704 when missing.
 * - `modelBytes(db, modelId)` → the estimator bytes, reassembled from pgml.files parts in order,
 *   each part checked against its sha256 checksum (XX001 on a mismatch or a missing part); pass
 *   them to getEngineFactory(algorithm, task).deserialize. Models are immutable: cache by id.
 * - `modelVisibility(db, modelId, projectName)` → whether the caller could read all of that
 *   itself (42501 from Postgres when not): what a cached model is checked with per caller.
 *
 * For training and deployment: lookupTraining (training-lookup.ts: project, deployed metrics and
 * relation in one statement), findProject/requireProject, chooseModel and
 * insertDeployment (projects.ts); resolveRelation/readRelationMatrix (relations.ts); lastSnapshot,
 * insertSnapshot, reserveSnapshotId, materializeSnapshot, dropSnapshotTable (snapshots.ts);
 * registerModel (register.ts).
 */
export {
  deployedModel,
  modelById,
  modelBytes,
  modelVisibility,
  partChecksum,
  splitParts,
  ESTIMATOR_PATH,
  type ModelVisibility,
} from './models.js';
export { chooseModel, findProject, insertDeployment, requireProject } from './projects.js';
export { readRelationMatrix, resolveRelation, splitRelationName, type Relation } from './relations.js';
export { DECODE_MODULE } from './off-thread-rows.js';
export {
  dropSnapshotTable,
  insertSnapshot,
  lastSnapshot,
  materializeSnapshot,
  reserveSnapshotId,
  type NewSnapshot,
} from './snapshots.js';
export { registerModel, type NewModel, type RegisteredModel, type TestResults } from './register.js';
export { lookupTraining, type TrainingLookup } from './training-lookup.js';
