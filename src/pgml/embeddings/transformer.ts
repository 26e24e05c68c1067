/**
 * Hugging Face models with ONNX weights, run by @huggingface/transformers on onnxruntime-node.
 * Runs inside the embedding worker (worker.ts): onnxruntime's inference occupies the thread it
 * is called from, so batches also run on a second inference thread (inference-thread.ts).
 * Embeddings follow sentence-transformers: truncation to max_seq_length, the pooling of
 * 1_Pooling/config.json, L2 normalization when modules.json lists Normalize.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { PgError, SqlState } from '../../errors/index.js';
import { AsciiWordPiece } from './ascii-wordpiece.js';
import { InferenceThread } from './inference-thread.js';
import { loadOnnxModel, tokenEmbeddings } from './onnx-model.js';
import type { EmbedOptions, Pooling } from './options.js';
import { pool } from './pooling.js';
import { SingleTextSession } from './single-text.js';
import { DEFAULT_LATENCY_SPIN_US, latencySessionOptions } from './spinning.js';

/**
 * Texts per batch when kwargs give no batch_size. Not sentence-transformers' 32: a batch's vectors
 * do not depend on its size (bitwise, checked on the MiniLM shape at 8 to 64), and on one intra-op
 * thread batches of 16 cost 2-3% less CPU per text than 32 (smaller activations in cache), and end
 * a request's work on the two sessions closer together (BENCHMARKS.md, embedb).
 */
const DEFAULT_BATCH = 16;

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

/** How a model's batches run: on one session, or on two at once (the second on its own thread). */
export interface BatchSessions {
  sessions: 1 | 2;
  /** onnxruntime's intra-op threads of each batch session. */
  threads: number;
}

/**
 * Two batch sessions of half the cores each where there are two cores or more (on 2 cores: one
 * thread each, so their runs never wait for each other's threads), else one.
 */
export function defaultBatchSessions(cores = availableParallelism()): BatchSessions {
  return cores >= 2 ? { sessions: 2, threads: Math.floor(cores / 2) } : { sessions: 1, threads: 1 };
}

/** Runs one padded batch and pools it: on a session of this thread, or on the second inference thread. */
type BatchRunner = (encoded: Record<string, Tensor>, pooling: Pooling, normalize: boolean) => Promise<Float32Array[]>;

export class TransformerModel {
  private constructor(
    readonly dir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    /** The second batch session, on a thread of its own; undefined with one batch session. */
    private readonly second: InferenceThread | undefined,
    private readonly config: SentenceConfig,
  ) {}

  static async load(dir: string, batches: BatchSessions = defaultBatchSessions()): Promise<TransformerModel> {
    const batchOptions = { intraOpNumThreads: batches.threads };
    const loads = await Promise.allSettled([
      AutoTokenizer.from_pretrained(dir),
      loadOnnxModel(dir, batchOptions),
      batches.sessions === 2 ? InferenceThread.start(dir, batchOptions) : undefined,
    ] as const);
    const [tokenizer, model, second] = loads;
    if (tokenizer.status === 'rejected' || model.status === 'rejected' || second.status === 'rejected') {
      if (second.status === 'fulfilled') await second.value?.close();
      throw loads.map((l) => (l.status === 'rejected' ? (l.reason as unknown) : undefined)).find((e) => e !== undefined);
    }
    return new TransformerModel(dir, tokenizer.value, model.value, second.value, sentenceConfig(dir));
  }

  /**
   * The model of a latency thread (latency-thread.ts), where single texts run: one session whose
   * onnxruntime pool thread spins `spinUs` µs after a run before it sleeps (spinning.ts; 0: it
   * stops at the run's end). Where a batch session's threads spun on after each run (onnxruntime's
   * default, about 30 ms) they took the cores the proxy, the client and Postgres needed (single
   * sentences 14-23% slower at load 8-14, BENCHMARKS.md, embed2). It keeps onnxruntime's default
   * thread count: one thread is 1.3x slower for one sentence (BENCHMARKS.md, embedl). The same
   * graph as the batch sessions, so the same bits (a test checks).
   */
  static async loadForSingleTexts(dir: string, spinUs = DEFAULT_LATENCY_SPIN_US): Promise<TransformerModel> {
    const [tokenizer, session] = await Promise.all([AutoTokenizer.from_pretrained(dir), loadOnnxModel(dir, latencySessionOptions(spinUs))]);
    const model = new TransformerModel(dir, tokenizer, session, undefined, sentenceConfig(dir));
    await model.takeDirectPath();
    return model;
  }

  /**
   * Single texts straight on the session (single-text.ts) when the model's session is an
   * encoder's and a text run both ways gives the same bits; else through transformers.js, as batches.
   */
  private async takeDirectPath(): Promise<void> {
    const direct = SingleTextSession.of(this.model);
    if (!direct) return;
    const library = this.tokenizer._tokenizer as unknown as { remove_space?: boolean; do_lowercase_and_remove_accent?: boolean };
    const maxLength = Math.min(this.config.maxLength, this.tokenizer.model_max_length ?? Infinity);
    this.ascii = AsciiWordPiece.of(this.dir, (text) => this.encode([text])[0]!, maxLength, Boolean(library.remove_space || library.do_lowercase_and_remove_accent));
    const text = 'The direct path gives the same bits.';
    const [wrapped] = await this.embed([text], {});
    this.direct = direct;
    const [straight] = await this.embedSingle(text, {});
    if (!wrapped || !straight || Buffer.compare(Buffer.from(wrapped.buffer), Buffer.from(straight.buffer)) !== 0) this.direct = undefined;
  }

  /** The latency thread's direct path, once checked (takeDirectPath). */
  private direct: SingleTextSession | undefined;
  /** Its tokenizing of printable-ASCII texts, where the model's tokenizer allows it (ascii-wordpiece.ts). */
  private ascii: AsciiWordPiece | undefined;

  /** Whether embedSingle runs straight on the session, and tokenizes printable ASCII itself (tests). */
  get singleTextsDirect(): { session: boolean; asciiTokens: boolean } {
    return { session: this.direct !== undefined, asciiTokens: this.ascii !== undefined };
  }

  /**
   * One text's vector, as `embed([text], options)` gives it, straight on the session where the
   * model allows it (a latency thread's model, takeDirectPath).
   */
  async embedSingle(text: string, options: EmbedOptions): Promise<[Float32Array]> {
    if (!this.direct) return (await this.embed([text], options)) as [Float32Array];
    const pooling = options.pooling ?? this.config.pooling;
    const normalize = options.normalize ?? this.config.normalize;
    const prompted = this.prompt(options) + text;
    const row = this.ascii?.encode(prompted) ?? this.encode([prompted])[0]!;
    const { hidden, mask } = await this.direct.run(row.ids, row.types);
    return pool(hidden, mask, pooling, normalize) as [Float32Array];
  }

  /** Batches each session has run: which one a request used shows here (the routing tests). */
  readonly runs = { throughput: 0, second: 0 };

  get dimensions(): number {
    return (this.model.config as unknown as { hidden_size: number }).hidden_size;
  }

  /** Stops the second inference thread (tests; a loaded model otherwise lives as long as its process). */
  async close(): Promise<void> {
    await this.second?.close();
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
    const size = options.batchSize ?? DEFAULT_BATCH;
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += size) batches.push(order.slice(start, start + size));
    const out: Float32Array[] = new Array(rows.length);
    // Each runner takes the next batch as soon as it is free, so neither waits for the other.
    let next = 0;
    const failure: { error?: unknown } = {};
    await Promise.all(
      this.runners(batches.length).map(async (run) => {
        try {
          while (next < batches.length && !('error' in failure)) {
            checkpoint();
            const ids = batches[next++]!;
            const vectors = await run(this.padded(ids.map((i) => rows[i]!)), pooling, normalize);
            ids.forEach((original, k) => (out[original] = vectors[k]!));
          }
        } catch (error) {
          // The other runner stops at its next batch; the request fails once both have stopped.
          if (!('error' in failure)) failure.error = error;
        }
      }),
    );
    if ('error' in failure) throw failure.error;
    return out;
  }

  /** Batches on this thread's batch session and, from two batches on, the second thread's. */
  private runners(batches: number): BatchRunner[] {
    const here = this.runHere(this.model);
    const second = this.second;
    if (!second?.alive || batches < 2) return [here];
    const there: BatchRunner = (encoded, pooling, normalize) => {
      this.runs.second += 1;
      return second.run(encoded, pooling, normalize);
    };
    // Two batches out on the second thread at a time: it starts the next as soon as it has finished
    // one, instead of waiting until this thread, blocked in a run of its own, hands it another.
    return [here, there, there];
  }

  private runHere(session: PreTrainedModel): BatchRunner {
    return async (encoded, pooling, normalize) => {
      this.runs.throughput += 1;
      const outputs = (await session(encoded)) as Record<string, Tensor>;
      return pool(tokenEmbeddings(outputs, this.dir), encoded.attention_mask!, pooling, normalize);
    };
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
