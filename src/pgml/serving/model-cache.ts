/**
 * Deserialized models, per process, shared by every connection (PostgresML reloads per backend,
 * its issue #1175). Models are immutable, so the model id is the whole key and entries never go
 * stale; the bound is on the bytes kept (LRU), and hits/misses are counted for observability.
 * The engine itself lives on the worker pool (WorkerEngine), which caches the deserialized form.
 * Who may use an entry is decided per call by access.ts, never by the entry being here.
 */
import type { Queryable } from '../../db/queryable.js';
import type { Model } from '../domain/model.js';
import type { Engine } from '../engines/engine.js';
import { getEngineFactory } from '../engines/registry.js';
import { FeaturePipeline } from '../preparation/pipeline.js';
import { inlineModel, type InlineModel } from './inline.js';
import { modelById, modelBytes } from '../store/index.js';

export interface LoadedModel {
  stored: Model;
  engine: Engine;
  /** The same model in the calling thread, for small predictions (inline.ts); absent for most algorithms. */
  inline?: InlineModel;
  /** Null for models PostgresML itself wrote: their features go to the estimator unchanged. */
  pipeline: FeaturePipeline | null;
  bytes: number;
}

export interface ModelCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

export class ModelCache {
  /** Insertion order is recency order: a hit re-inserts, so the first key is the LRU. */
  private readonly entries = new Map<number, LoadedModel>();
  private readonly loading = new Map<number, Promise<LoadedModel>>();
  private totalBytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /** The model, loading it through `db` (the caller's session and privileges) on a miss. */
  async get(db: Queryable, modelId: number, known?: Model): Promise<LoadedModel> {
    const hit = this.cached(modelId);
    if (hit) return hit;
    this.misses++;
    // Concurrent first uses of one model share a single load.
    let pending = this.loading.get(modelId);
    if (!pending) {
      pending = loadModel(db, modelId, known).finally(() => this.loading.delete(modelId));
      this.loading.set(modelId, pending);
    }
    const loaded = await pending;
    if (!this.entries.has(modelId)) this.insert(modelId, loaded);
    return loaded;
  }

  /** The model when it is here (a hit, counted as get counts it); undefined when get must load it. */
  cached(modelId: number): LoadedModel | undefined {
    const hit = this.entries.get(modelId);
    if (hit) {
      this.hits++;
      this.entries.delete(modelId);
      this.entries.set(modelId, hit);
    }
    return hit;
  }

  stats(): ModelCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.totalBytes, maxBytes: this.maxBytes };
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  private insert(modelId: number, loaded: LoadedModel): void {
    this.entries.set(modelId, loaded);
    this.totalBytes += loaded.bytes;
    // Always keep the newest entry, even when it alone exceeds the bound: it is about to be used.
    for (const [id, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes || id === modelId) break;
      this.entries.delete(id);
      this.totalBytes -= entry.bytes;
    }
  }
}

/** Reads and deserializes a model through `db`, bypassing the cache. */
export async function loadModel(db: Queryable, modelId: number, known?: Model): Promise<LoadedModel> {
  const stored = known ?? (await modelById(db, modelId));
  const bytes = await modelBytes(db, modelId);
  const [engine, inline] = await Promise.all([
    getEngineFactory(stored.algorithm, stored.task).deserialize(bytes),
    inlineModel(stored.algorithm, bytes),
  ]);
  const pipeline = stored.pipeline === null ? null : FeaturePipeline.fromJSON(stored.pipeline);
  return { stored, engine, ...(inline === undefined ? {} : { inline }), pipeline, bytes: bytes.byteLength };
}
