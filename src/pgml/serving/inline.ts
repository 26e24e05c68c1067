/**
 * Small predictions on the event loop. A prediction normally runs on the worker pool, and for one
 * row the round trip (a postMessage each way) costs far more than the model: a bounded, small
 * prediction of a model whose in-thread form is cheap to load runs in the calling thread instead.
 *
 * Measured on the 2-core development machine at load average ~16 (BENCHMARKS.md, "Serving latency:
 * answering locally (issue 16)"), one row of 30 features, 3000 calls after 300 warm-ups:
 *
 *   linear regression   in-thread p50 0.9 µs (p99 3.8 µs)     worker pool p50 75 µs (p99 3.2 ms)
 *                       in-thread load of the model: 0.13 ms
 *   XGBoost, 100 trees  in-thread p50 43.5 µs (p99 13.5 ms)   worker pool p50 173 µs (p99 16.6 ms)
 *                       in-thread load of the booster: 57 ms (a synchronous native call)
 *
 * So: the linear family (pure JS, work = rows × features × outputs multiply-adds) runs in-thread
 * for at most INLINE_MAX_ROWS rows of a model of at most INLINE_MAX_MODEL_BYTES bytes; at those
 * bounds a prediction is at most 16 × 16k multiply-adds (well under a millisecond), and loading
 * the in-thread form decodes at most 64 KiB. XGBoost stays on the pool: its prediction would be
 * small, but loading a booster on the event loop (57 ms for 100 trees, growing with the trees) is
 * model loading, which must not block it; an asynchronous native load would lift that.
 */
import type { Engine } from '../engines/engine.js';
import { getLocalEngineFactory } from '../engines/registry.js';

const INLINE_ALGORITHMS = new Set(['linear', 'ridge', 'lasso', 'elastic_net']);

/** Predictions of more rows go to the worker pool. */
export const INLINE_MAX_ROWS = 16;

/** Larger models are never loaded in-thread. */
export const INLINE_MAX_MODEL_BYTES = 64 * 1024;

/** The in-thread form of a model that qualifies, loaded from its serialized bytes; else undefined. */
export async function inlineEngine(algorithm: string, bytes: Uint8Array): Promise<Engine | undefined> {
  if (!INLINE_ALGORITHMS.has(algorithm) || bytes.byteLength > INLINE_MAX_MODEL_BYTES) return undefined;
  return getLocalEngineFactory(algorithm).deserialize(bytes);
}
