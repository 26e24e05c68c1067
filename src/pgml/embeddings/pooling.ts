/** sentence-transformers' pooling of a model's token embeddings, and its L2 normalization. */
import type { Pooling } from './options.js';

/** What pooling reads of a tensor: transformers.js's Tensor, or onnxruntime's (single-text.ts). */
interface TensorData {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** Pools [batch, tokens, dims] over the attention mask, then optionally L2-normalizes. */
export function pool(hidden: TensorData, mask: TensorData, pooling: Pooling, normalize: boolean): Float32Array[] {
  const [batch, tokens, dims] = hidden.dims as [number, number, number];
  const data = hidden.data as Float32Array;
  const maskData = mask.data as BigInt64Array;
  const vectors: Float32Array[] = [];
  for (let b = 0; b < batch; b += 1) {
    const v = new Float32Array(dims);
    if (pooling === 'cls') {
      v.set(data.subarray(b * tokens * dims, b * tokens * dims + dims));
    } else {
      if (pooling === 'max') v.fill(-Infinity);
      let count = 0;
      for (let t = 0; t < tokens; t += 1) {
        if (maskData[b * tokens + t] === 0n) continue;
        count += 1;
        const base = (b * tokens + t) * dims;
        for (let d = 0; d < dims; d += 1) {
          const x = data[base + d]!;
          if (pooling === 'max') v[d] = Math.max(v[d]!, x);
          else v[d] = v[d]! + x;
        }
      }
      if (pooling === 'mean') for (let d = 0; d < dims; d += 1) v[d] = v[d]! / Math.max(count, 1e-9);
    }
    if (normalize) l2Normalize(v);
    vectors.push(v);
  }
  return vectors;
}

export function l2Normalize(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  // sentence-transformers divides by max(norm, 1e-12): a zero vector stays zero.
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  for (let d = 0; d < v.length; d += 1) v[d] = v[d]! * scale;
}
