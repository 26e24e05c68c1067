/**
 * Hugging Face models with ONNX weights, run by @huggingface/transformers on onnxruntime-node.
 * Runs inside the embedding worker (worker.ts): onnxruntime's inference occupies the thread it
 * is called from. Embeddings follow sentence-transformers: truncation to max_seq_length, the
 * pooling of 1_Pooling/config.json, L2 normalization when modules.json lists Normalize.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModel, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { PgError, SqlState } from '../../errors/index.js';
import type { EmbedOptions, Pooling } from './options.js';

// Resolution and downloads are ours (sources.ts, hub.ts); the library only reads local folders.
env.allowRemoteModels = false;
env.useFSCache = false;

const DEFAULT_BATCH = 32;

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

interface SentenceConfig {
  pooling: Pooling;
  normalize: boolean;
  maxLength: number;
  /** config_sentence_transformers.json's named prompts, and the one used when none is asked for. */
  prompts: Record<string, string>;
  defaultPromptName: string | undefined;
}

/** sentence-transformers' module configs; plain transformers models get mean pooling, unnormalized. */
function sentenceConfig(dir: string): SentenceConfig {
  const modules = (readJson(join(dir, 'modules.json')) as { type?: string }[] | undefined) ?? [];
  const pool = readJson(join(dir, '1_Pooling', 'config.json')) as Record<string, unknown> | undefined;
  const st = readJson(join(dir, 'sentence_bert_config.json')) as { max_seq_length?: number } | undefined;
  const tokenizer = readJson(join(dir, 'tokenizer_config.json')) as { model_max_length?: number } | undefined;
  const config = readJson(join(dir, 'config.json')) as { max_position_embeddings?: number } | undefined;
  const sentenceTransformers = readJson(join(dir, 'config_sentence_transformers.json')) as
    | { prompts?: Record<string, string>; default_prompt_name?: string | null }
    | undefined;
  const pooling: Pooling = pool?.pooling_mode_cls_token ? 'cls' : pool?.pooling_mode_max_tokens ? 'max' : 'mean';
  const limits = [st?.max_seq_length, tokenizer?.model_max_length, config?.max_position_embeddings].filter(
    (n): n is number => typeof n === 'number' && n > 0 && n < 1e6,
  );
  return {
    pooling,
    normalize: modules.some((m) => typeof m.type === 'string' && m.type.endsWith('.Normalize')),
    maxLength: st?.max_seq_length ?? Math.min(...limits, 512),
    prompts: sentenceTransformers?.prompts ?? {},
    defaultPromptName: sentenceTransformers?.default_prompt_name ?? undefined,
  };
}

export class TransformerModel {
  private constructor(
    readonly dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly config: SentenceConfig,
  ) {}

  static async load(dir: string): Promise<TransformerModel> {
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await AutoModel.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
    return new TransformerModel(dir, tokenizer, model, sentenceConfig(dir));
  }

  get dimensions(): number {
    return (this.model.config as unknown as { hidden_size: number }).hidden_size;
  }

  /** One Float32Array of dimensions per text; `checkpoint` runs between batches and may throw to stop. */
  async embed(texts: readonly string[], options: EmbedOptions, checkpoint: () => void = () => {}): Promise<Float32Array[]> {
    const pooling = options.pooling ?? this.config.pooling;
    const normalize = options.normalize ?? this.config.normalize;
    const prompt = this.prompt(options);
    const inputs = texts.map((t) => prompt + t);
    // Sorting by length keeps padding, hence wasted compute, small within a batch.
    const order = inputs.map((_, i) => i).sort((a, b) => inputs[a]!.length - inputs[b]!.length);
    const out: Float32Array[] = new Array(inputs.length);
    const batch = options.batchSize ?? DEFAULT_BATCH;
    for (let start = 0; start < order.length; start += batch) {
      checkpoint();
      const ids = order.slice(start, start + batch);
      const encoded = this.tokenizer(
        ids.map((i) => inputs[i]!),
        { padding: true, truncation: true, max_length: this.config.maxLength },
      ) as unknown as Record<string, Tensor>;
      this.restoreSuffix(encoded);
      const result = (await this.model(encoded)) as Record<string, Tensor>;
      const hidden = result.last_hidden_state ?? result.token_embeddings;
      if (!hidden) throw new Error(`${this.dir}: the model has no last_hidden_state output`);
      const vectors = pool(hidden, encoded.attention_mask!, pooling, normalize);
      ids.forEach((original, k) => (out[original] = vectors[k]!));
    }
    return out;
  }

  /** sentence-transformers' choice: the prompt given, else the named one, else the model's default. */
  private prompt(options: EmbedOptions): string {
    if (options.prompt !== undefined) return options.prompt;
    const name = options.promptName ?? this.config.defaultPromptName;
    if (name === undefined) return '';
    const prompt = this.config.prompts[name];
    if (prompt === undefined) {
      const known = Object.keys(this.config.prompts);
      throw new PgError(SqlState.InvalidParameterValue, `pgml.embed: prompt_name "${name}" is not among the model's prompts`, {
        hint: known.length > 0 ? `The model's config_sentence_transformers.json names: ${known.join(', ')}.` : 'The model has no config_sentence_transformers.json prompts.',
      });
    }
    return prompt;
  }

  /**
   * transformers.js truncates after adding special tokens, cutting off the closing [SEP];
   * Hugging Face tokenizers (hence sentence-transformers) truncate the text and keep it. Rows that
   * reached max_length get the template's closing tokens back over their last positions, which
   * is exactly the Python result (and a no-op for a row that fit precisely).
   */
  private restoreSuffix(encoded: Record<string, Tensor>): void {
    const ids = encoded.input_ids!;
    const mask = encoded.attention_mask!.data as BigInt64Array;
    const [batch, tokens] = ids.dims as [number, number];
    if (tokens < this.config.maxLength || this.suffix.length === 0) return;
    const data = ids.data as BigInt64Array;
    for (let b = 0; b < batch; b += 1) {
      if (mask[b * tokens + tokens - 1] === 0n) continue;
      this.suffix.forEach((id, k) => (data[b * tokens + tokens - this.suffix.length + k] = id));
    }
  }

  /** The special tokens the post-processor appends: what encoding('') and encoding('a') share at the end. */
  private get suffix(): bigint[] {
    if (this.cachedSuffix) return this.cachedSuffix;
    const ids = (text: string) => [...((this.tokenizer(text) as unknown as Record<string, Tensor>).input_ids!.data as BigInt64Array)];
    const empty = ids('');
    const some = ids('a');
    let suffix: bigint[] = [];
    for (let k = 0; k <= empty.length; k += 1) {
      const head = empty.slice(0, k);
      const tail = empty.slice(k);
      if (some.length > empty.length && head.every((v, i) => some[i] === v) && tail.every((v, i) => some[some.length - tail.length + i] === v)) {
        suffix = tail;
        break;
      }
    }
    this.cachedSuffix = suffix;
    return suffix;
  }

  private cachedSuffix: bigint[] | undefined;
}

/** Pools [batch, tokens, dims] over the attention mask, then optionally L2-normalizes. */
export function pool(hidden: Tensor, mask: Tensor, pooling: Pooling, normalize: boolean): Float32Array[] {
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
