/**
 * generate()'s arguments as pgml.transform and pgml.transform_stream take them for text
 * generation: Hugging Face's names, which PostgresML's extension hands to generate() as they are,
 * or OpenAI's, which PostgresML's documentation shows (`max_tokens`, `n`, `seed`, `temperature`,
 * `top_p`, ...) and its SDKs send. Any OpenAI-only name means OpenAI's meaning throughout:
 * sampling unless `temperature` is 0, `n` completions per prompt, and answers that are the new
 * text only (the prompt first with `echo`), as PostgresML's documented results show them.
 * Sampling itself runs in sampling.ts; the sequences of one prompt are drawn in one generate()
 * call, as rows of a batch.
 */
import { cat, StoppingCriteria, type LogitsProcessor, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { join } from 'node:path';
import { PgError, SqlState } from '../../errors/index.js';
import { PenaltiesProcessor, type Penalties } from './penalties.js';
import { SamplingProcessor, type Sampling } from './sampling.js';
import { stopIndex } from './stop-text.js';
import { invalid, only, readJson, type Args } from './task-args.js';
import type { Task } from './tasks.js';

/** Hugging Face generate()'s arguments that are implemented the same way here. */
const GENERATION_ARGS = [
  'max_new_tokens',
  'max_length',
  'min_new_tokens',
  'min_length',
  'do_sample',
  'temperature',
  'top_k',
  'top_p',
  'num_beams',
  'num_return_sequences',
  'repetition_penalty',
  'no_repeat_ngram_size',
  'eos_token_id',
  'pad_token_id',
  'bos_token_id',
  'decoder_start_token_id',
] as const;

/**
 * OpenAI's completion and chat parameters (PostgresML's "Completion/Chat Parameters"), with the
 * value each has when it changes nothing. Those not implemented are accepted at that value only.
 */
const OPENAI_DEFAULTS = {
  logit_bias: {},
  logprobs: false,
  top_logprobs: 0,
  response_format: { type: 'text' },
} as const;
const OPENAI_ONLY = ['max_tokens', 'n', 'seed', 'echo', 'best_of', 'stop', 'frequency_penalty', 'presence_penalty', ...Object.keys(OPENAI_DEFAULTS)];

export interface Generation {
  /** generate()'s options, sampling and the cancel check included. */
  options: Args;
  /** Sequences per prompt. */
  sequences: number;
  /**
   * Set when OpenAI's names were used (see the file comment); `stop`: the texts that end an answer;
   * `penalties`: frequency_penalty and presence_penalty, when either is not 0.
   */
  openAi: { echo: boolean; stop: string[]; penalties: Penalties | undefined } | undefined;
}

/** Stops generate() at the next token once the request is canceled (the caller then throws 57014). */
class CheckpointCriteria extends StoppingCriteria {
  constructor(private readonly stopped: () => boolean) {
    super();
  }
  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map(() => this.stopped());
  }
}

function isDefault(value: unknown, byDefault: unknown): boolean {
  if (value === undefined || value === null || value === byDefault) return true;
  return typeof byDefault === 'object' && JSON.stringify(value) === JSON.stringify(byDefault);
}

/** OpenAI's names as Hugging Face's; `seed` apart, for the sampler. */
function fromOpenAi(task: Task, args: Args): { args: Args; seed: unknown; echo: boolean; stop: string[]; penalties: Penalties | undefined } {
  const { max_tokens: maxTokens, n, seed, echo = false, best_of: bestOf, stop = [], frequency_penalty: frequency, presence_penalty: presence, ...rest } = args;
  const stops = stop === null ? [] : typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(stops) || !stops.every((s) => typeof s === 'string' && s !== '')) throw invalid(task, '"stop" must be a string or an array of strings, none empty');
  for (const [name, byDefault] of Object.entries(OPENAI_DEFAULTS)) {
    if (!isDefault(rest[name], byDefault)) {
      throw new PgError(SqlState.FeatureNotSupported, `pgml.transform: ${task}: "${name}" is not supported (only its default, ${JSON.stringify(byDefault)})`);
    }
    delete rest[name];
  }
  for (const [openAi, huggingFace] of [['max_tokens', 'max_new_tokens'], ['n', 'num_return_sequences']] as const) {
    if (args[openAi] !== undefined && rest[huggingFace] !== undefined) throw invalid(task, `give "${openAi}" or "${huggingFace}", not both`);
  }
  if (rest.return_full_text !== undefined) throw invalid(task, 'with OpenAI\'s args the answer is the new text; "echo": true puts the prompt first');
  if (typeof echo !== 'boolean') throw invalid(task, '"echo" must be true or false');
  if (!isDefault(bestOf, n ?? 1)) {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.transform: ${task}: "best_of" other than "n" is not supported`);
  }
  const temperature = rest.temperature ?? 1;
  return {
    args: {
      ...rest,
      ...(maxTokens === undefined ? {} : { max_new_tokens: maxTokens }),
      ...(n === undefined ? {} : { num_return_sequences: n }),
      temperature,
      do_sample: rest.do_sample ?? temperature !== 0,
    },
    seed,
    echo,
    stop: stops as string[],
    penalties: penaltiesOf(task, frequency, presence),
  };
}

/** OpenAI's frequency_penalty and presence_penalty: numbers from -2 to 2, 0 (or null) by default. */
function penaltiesOf(task: Task, frequency: unknown, presence: unknown): Penalties | undefined {
  const penalties = { frequency: frequency ?? 0, presence: presence ?? 0 };
  for (const [name, value] of Object.entries(penalties)) {
    if (typeof value !== 'number' || !(value >= -2 && value <= 2)) throw invalid(task, `"${name}_penalty" must be a number from -2 to 2`);
  }
  return penalties.frequency === 0 && penalties.presence === 0 ? undefined : (penalties as Penalties);
}

function positiveInteger(task: Task, name: string, value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) throw invalid(task, `"${name}" must be a positive integer`);
}

/**
 * What Python's pipeline for `key` (a task, or a translation pair such as `translation_en_to_fr`)
 * takes from the model's config.json `task_specific_params`, as transformers 4.48 (PostgresML's)
 * does when it makes the pipeline: `prefix` goes before each input, the rest are generate()'s
 * defaults under the caller's args (T5's and BART's summarization and translation settings).
 */
export function taskSpecificParams(dir: string, key: string): { prefix: string; defaults: Args } {
  const all = readJson(join(dir, 'config.json')).task_specific_params as Record<string, Args> | undefined;
  const { prefix = '', ...defaults } = all?.[key] ?? {};
  return { prefix: typeof prefix === 'string' ? prefix : '', defaults };
}

/**
 * generate()'s options for `givenArgs`. `extra` are the task's own Hugging Face names;
 * `openAiNames` whether the task takes OpenAI's names too (text generation does); `taskKey`
 * names the model's task_specific_params to apply (the translation pair for translation).
 */
export function generationOptions(task: Task, dir: string, givenArgs: Args, extra: readonly string[], isStopped: () => boolean, openAiNames = false, taskKey: string = task): Generation {
  const openAi = openAiNames && Object.keys(givenArgs).some((k) => OPENAI_ONLY.includes(k)) ? fromOpenAi(task, givenArgs) : undefined;
  only(task, openAi?.args ?? givenArgs, [...GENERATION_ARGS, ...extra]);
  const specific = taskSpecificParams(dir, taskKey).defaults;
  const defaults = { ...readJson(join(dir, 'generation_config.json')), ...specific };
  // The lengths are Python's: max_length (the model's, else 20) unless max_new_tokens is given.
  // transformers.js's pipelines would otherwise put their own max_new_tokens of 256 first, which
  // overrides any max_length, the caller's included. transformers.js knows generation_config.json
  // but not task_specific_params, so the latter's generate() names go in as options. (Its beam
  // search names, early_stopping and length_penalty, change nothing without beams: see below.)
  const fromSpecific = Object.fromEntries(Object.entries(specific).filter(([name]) => (GENERATION_ARGS as readonly string[]).includes(name)));
  const given = openAi?.args ?? givenArgs;
  const args: Args = { ...fromSpecific, ...given, max_new_tokens: given.max_new_tokens ?? defaults.max_new_tokens ?? null };
  // transformers.js decodes greedily or by sampling; a model whose generation config asks for
  // beam search would silently get another answer than Python gives, so that is refused.
  const beams = args.num_beams ?? defaults.num_beams ?? 1;
  if (beams !== 1) {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.transform: ${task}: beam search (num_beams ${String(beams)}) is not supported`, {
      hint: 'Pass "num_beams": 1 in args for greedy decoding, or "do_sample": true for sampling.',
    });
  }
  const { num_return_sequences: sequences = 1, do_sample: doSample = defaults.do_sample ?? false, temperature, top_k: topK, top_p: topP, ...rest } = args;
  positiveInteger(task, openAi ? 'n' : 'num_return_sequences', sequences);
  if (rest.max_new_tokens !== null) positiveInteger(task, openAi ? 'max_tokens' : 'max_new_tokens', rest.max_new_tokens);
  positiveInteger(task, 'max_length', rest.max_length);
  // Python refuses several sequences from greedy decoding; OpenAI's n at temperature 0 repeats one.
  if (sequences !== 1 && doSample !== true && !openAi) throw invalid(task, 'num_return_sequences greater than 1 needs "do_sample": true');
  const seed = openAi?.seed ?? undefined;
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw invalid(task, '"seed" must be an integer');
  const criteria = [new CheckpointCriteria(isStopped)];
  const asked = openAi && { echo: openAi.echo, stop: openAi.stop, penalties: openAi.penalties };
  if (doSample !== true) return { options: { ...rest, do_sample: false, stopping_criteria: criteria }, sequences: sequences as number, openAi: asked };
  const sampling = {
    temperature: temperature ?? defaults.temperature ?? 1,
    topK: topK ?? defaults.top_k ?? (openAi ? 0 : 50),
    topP: topP ?? defaults.top_p ?? 1,
    seed,
  };
  if (typeof sampling.temperature !== 'number' || !(sampling.temperature > 0)) throw invalid(task, '"temperature" must be a positive number when sampling');
  if (!Number.isInteger(sampling.topK) || (sampling.topK as number) < 0) throw invalid(task, '"top_k" must be a non-negative integer');
  if (typeof sampling.topP !== 'number' || !(sampling.topP > 0 && sampling.topP <= 1)) throw invalid(task, '"top_p" must be a number above 0 and at most 1');
  return {
    // transformers.js's own sampler is left off (do_sample false): its greedy step takes the token ours drew.
    options: { ...rest, do_sample: false, logits_processor: [new SamplingProcessor(sampling as Sampling)], stopping_criteria: criteria },
    sequences: sequences as number,
    openAi: asked,
  };
}

/** `prompt`'s tensors, as PostgresML tokenizes it (special tokens added), one row per sequence. */
export function promptInputs(tokenizer: PreTrainedTokenizer, prompt: string, sequences: number): Record<string, Tensor> {
  const encoded = tokenizer(prompt, { padding: true }) as unknown as Record<string, Tensor>;
  if (sequences === 1) return encoded;
  return Object.fromEntries(Object.entries(encoded).map(([name, tensor]) => [name, cat(Array.from({ length: sequences }, () => tensor), 0)]));
}

/** The ids that end a sequence: generate()'s `eos_token_id` option, else the model's. */
export function endIds(model: PreTrainedModel, options: Args): Set<number> {
  const configured = model as unknown as { generation_config?: { eos_token_id?: unknown }; config: { eos_token_id?: unknown } };
  const ids = options.eos_token_id ?? configured.generation_config?.eos_token_id ?? configured.config.eos_token_id;
  return new Set([ids].flat().filter((id) => id !== undefined && id !== null).map(Number));
}

/**
 * Marks a sequence done for good once it has ended: at an end token, or once its new text holds
 * one of `stops`. transformers.js asks its criteria afresh at every step and stops only when
 * every row is done at once, so without this a batch whose rows ended at different steps would
 * go on to its length limit.
 */
class EndedRows extends StoppingCriteria {
  private readonly ended = new Set<number>();

  constructor(
    private readonly promptLength: number,
    private readonly ends: Set<number>,
    private readonly stops: readonly string[],
    private readonly decode: (ids: number[]) => string,
  ) {
    super();
  }

  // Declared with number ids; generate() passes bigints (Number() reads both).
  override _call(inputIds: (number | bigint)[][]): boolean[] {
    return inputIds.map((ids, row) => {
      if (!this.ended.has(row) && ids.length > this.promptLength) {
        const atEnd = this.ends.has(Number(ids.at(-1)));
        if (atEnd || (this.stops.length > 0 && stopIndex(this.decode(ids.slice(this.promptLength).map(Number)), this.stops) !== undefined)) this.ended.add(row);
      }
      return this.ended.has(row);
    });
  }
}

/**
 * generate()'s options for one prompt: the EndedRows criterion added, and OpenAI's penalties
 * (which count the tokens after the prompt) ahead of the sampler.
 */
export function endingRows(model: PreTrainedModel, tokenizer: PreTrainedTokenizer, inputs: Record<string, Tensor>, generation: Generation): Args {
  const promptLength = inputs.input_ids!.dims.at(-1)!;
  const criteria = (generation.options.stopping_criteria ?? []) as StoppingCriteria[];
  const ended = new EndedRows(promptLength, endIds(model, generation.options), generation.openAi?.stop ?? [], (ids) => decodeText(tokenizer, ids));
  const penalties = generation.openAi?.penalties;
  const processors = (generation.options.logits_processor ?? []) as LogitsProcessor[];
  return {
    ...generation.options,
    stopping_criteria: [...criteria, ended],
    ...(penalties && { logits_processor: [new PenaltiesProcessor(promptLength, penalties), ...processors] }),
  };
}

/** No tokens decode to '', as Python's tokenizers decode them (transformers.js refuses them). */
export function decodeText(tokenizer: PreTrainedTokenizer, ids: number[]): string {
  return ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: true });
}

/**
 * The answers to `prompt`, one per sequence: the new tokens up to the sequence's first end token
 * (Python pads the rows of a batch that ended; decoding drops the pads), decoded without special
 * tokens, cut before the first of OpenAI's `stop` texts.
 */
export async function answers(model: PreTrainedModel, tokenizer: PreTrainedTokenizer, prompt: string, generation: Generation): Promise<string[]> {
  const inputs = promptInputs(tokenizer, prompt, generation.sequences);
  const output = (await model.generate({ ...inputs, ...endingRows(model, tokenizer, inputs, generation) })) as Tensor;
  const promptLength = inputs.input_ids!.dims.at(-1)!;
  const ends = endIds(model, generation.options);
  return (output.tolist() as bigint[][]).map((row) => {
    const ids = row.slice(promptLength).map(Number);
    const end = ids.findIndex((id) => ends.has(id));
    const text = decodeText(tokenizer, end === -1 ? ids : ids.slice(0, end + 1));
    return text.slice(0, stopIndex(text, generation.openAi?.stop ?? []));
  });
}
