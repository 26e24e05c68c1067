/**
 * A row of pgml.models with its project's name and task (PostgresML's `orm/model.rs`): what serving
 * needs to load and run a trained model. Models are immutable, so anything derived from one may be
 * cached by its id.
 */
import type { LabelEncoding } from '../preparation/dataset.js';
import type { FeaturePipelineJson } from '../preparation/pipeline.js';
import type { Task } from './task.js';

export interface Model {
  modelId: number;
  projectId: number;
  projectName: string;
  task: Task;
  algorithm: string;
  /** Where the engine ran: 'native' | 'wasm' | 'js' (PostgresML rows say 'python' or 'rust'). */
  runtime: string | null;
  hyperparams: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  /** PostgresML's num_features: raw feature values per row before encoding. */
  numFeatures: number;
  snapshotId: number | null;
  /** The fitted feature pipeline (FeaturePipeline.fromJSON); null for rows PostgresML wrote. */
  pipeline: FeaturePipelineJson | null;
  labels: LabelEncoding | null;
}
