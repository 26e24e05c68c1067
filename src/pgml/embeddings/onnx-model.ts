/**
 * Loading a Hugging Face model's ONNX weights into an onnxruntime-node session through
 * @huggingface/transformers, the same way on every thread that runs one (transformer.ts, and the
 * second inference thread, inference-worker.ts), so every session of a model runs the same file.
 */
import { AutoModel, env, type PreTrainedModel, type Tensor } from '@huggingface/transformers';

// Resolution and downloads are ours (sources.ts, hub.ts); the library only reads local folders.
env.allowRemoteModels = false;
env.useFSCache = false;

/** onnxruntime's session options (intraOpNumThreads, extra config entries): plain data, which a thread can be sent. */
export type SessionOptions = NonNullable<NonNullable<Parameters<typeof AutoModel.from_pretrained>[1]>['session_options']>;

export function loadOnnxModel(dir: string, sessionOptions: SessionOptions = {}): Promise<PreTrainedModel> {
  return AutoModel.from_pretrained(dir, { dtype: 'fp32', device: 'cpu', session_options: sessionOptions });
}

/** The per-token embeddings of a run's outputs. */
export function tokenEmbeddings(outputs: Record<string, Tensor>, dir: string): Tensor {
  const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
  if (!hidden) throw new Error(`${dir}: the model has no last_hidden_state output`);
  return hidden;
}
