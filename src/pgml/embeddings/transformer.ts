/**
 * Hugging Face models with ONNX weights, run by @huggingface/transformers on onnxruntime-node.
 * Runs inside the embedding worker (worker.ts): onnxruntime's inference occupies the thread it
 * is called from. Embeddings follow sentence-transformers: truncation to max_seq_length, the
 * pooling of 1_Pooling/config.json, L2 normalization when modules.json lists Normalize.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModel, AutoTokenizer, Tensor, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { PgError, SqlState } from '../../errors/index.js';
import type { EmbedOptions, Pooling } from './options.js';

// Resolution and downloads are ours (sources.ts, hub.ts); the library only reads local folders.
env.allowRemoteModels = false;
env.useFSCache = false;

const DEFAULT_BATCH = 32;

/**
 * The session single texts run on (see TransformerModel.latency): onnxruntime's intra-op threads
 * spin during a run and stop at its end, so between calls they leave the cores to the proxy, the
 * client and Postgres (single sentences 14-23% faster, BENCHMARKS.md; on the session batches run
 * on, the same option made the UPDATE 15% slower, so batches keep onnxruntime's defaults).
 */
const LATENCY_SESSION_OPTIONS = { extra: { session: { force_spinning_stop: '1' } } };

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

/** One text's token ids, and its token types for models that take them. */
interface EncodedText {
  ids: number[];
  types: number[] | undefined;
}

export class TransformerModel {
  private constructor(
    readonly dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    /**
     * A second session of the same weights for requests of one text (a single `pgml.embed`), tuned
     * for latency; the same graph and thread count, so the same bits as `model` gives.
     */
    private readonly latency: PreTrainedModel,
    private readonly config: SentenceConfig,
  ) {}

  static async load(dir: string): Promise<TransformerModel> {
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await AutoModel.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
    const latency = await AutoModel.from_pretrained(dir, { dtype: 'fp32', device: 'cpu', session_options: LATENCY_SESSION_OPTIONS });
    return new TransformerModel(dir, tokenizer, model, latency, sentenceConfig(dir));
  }

  /** Batches each session has run: which one a request used shows here (the routing test). */
  readonly runs = { throughput: 0, latency: 0 };

  get dimensions(): number {
    return (this.model.config as unknown as { hidden_size: number }).hidden_size;
  }

  /** One Float32Array of dimensions per text; `checkpoint` runs between batches and may throw to stop. */
  async embed(texts: readonly string[], options: EmbedOptions, checkpoint: () => void = () => {}): Promise<Float32Array[]> {
    const pooling = options.pooling ?? this.config.pooling;
    const normalize = options.normalize ?? this.config.normalize;
    const prompt = this.prompt(options);
    const rows = this.encode(texts.map((t) => prompt + t));
    // Batches of texts of equal token counts: padding, hence wasted compute, is as small as it can
    // be (sorted by characters, as sentence-transformers does, bench/embed.ts's batches held 17%
    // more tokens than its texts). Padding does not change a row's result: attention masks it out.
    const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.ids.length - rows[b]!.ids.length);
    const out: Float32Array[] = new Array(rows.length);
    const batch = options.batchSize ?? DEFAULT_BATCH;
    const single = rows.length === 1;
    for (let start = 0; start < order.length; start += batch) {
      checkpoint();
      const ids = order.slice(start, start + batch);
      const encoded = this.padded(ids.map((i) => rows[i]!));
      this.runs[single ? 'latency' : 'throughput'] += 1;
      const result = (await (single ? this.latency : this.model)(encoded)) as Record<string, Tensor>;
      const hidden = result.last_hidden_state ?? result.token_embeddings;
      if (!hidden) throw new Error(`${this.dir}: the model has no last_hidden_state output`);
      const vectors = pool(hidden, encoded.attention_mask!, pooling, normalize);
      ids.forEach((original, k) => (out[original] = vectors[k]!));
    }
    return out;
  }

  /**
   * Each text's token ids (and token types when the model takes them), truncated to
   * max_seq_length as sentence-transformers truncates: the text is cut and the template's closing
   * tokens kept (transformers.js cuts after adding them, so they are put back over the last ids).
   */
  private encode(texts: readonly string[]): EncodedText[] {
    if (texts.length === 0) return [];
    const encoded = this.tokenizer(texts as string[], { truncation: true, max_length: this.config.maxLength, return_tensor: false }) as unknown as {
      input_ids: number[][];
      token_type_ids?: number[][];
    };
    const suffix = this.suffix;
    return encoded.input_ids.map((ids, i) => {
      if (ids.length >= this.config.maxLength && suffix.length > 0) ids.splice(ids.length - suffix.length, suffix.length, ...suffix.map(Number));
      return { ids, types: encoded.token_type_ids?.[i] };
    });
  }

  /** The model's inputs for a batch, padded to its longest row on the tokenizer's padding side. */
  private padded(rows: readonly EncodedText[]): Record<string, Tensor> {
    const width = Math.max(...rows.map((r) => r.ids.length));
    const size = rows.length * width;
    const ids = new BigInt64Array(size).fill(BigInt(this.tokenizer.pad_token_id ?? 0));
    const mask = new BigInt64Array(size);
    const types = rows[0]!.types ? new BigInt64Array(size) : undefined;
    const left = this.tokenizer.padding_side === 'left';
    rows.forEach((row, b) => {
      const offset = b * width + (left ? width - row.ids.length : 0);
      for (let t = 0; t < row.ids.length; t += 1) {
        ids[offset + t] = BigInt(row.ids[t]!);
        mask[offset + t] = 1n;
        if (types) types[offset + t] = BigInt(row.types![t]!);
      }
    });
    const dims = [rows.length, width];
    return {
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', mask, dims),
      ...(types ? { token_type_ids: new Tensor('int64', types, dims) } : {}),
    };
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
