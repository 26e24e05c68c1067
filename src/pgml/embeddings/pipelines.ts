/**
 * pgml.transform's tasks on the embedding thread: transformers.js pipelines, with their answers
 * put in the shapes Hugging Face's Python pipelines give PostgresML (which returns them as
 * jsonb): token offsets, question-answering's context span, fill-mask's single-input unwrapping.
 * Each input runs on its own (as Python's pipelines run a list), with a look at `checkpoint`
 * between inputs and between generated tokens, so a cancel stops the call within one step.
 */
import { join } from 'node:path';
import { AutoModelForQuestionAnswering, AutoTokenizer, pipeline, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { answers, generationOptions, taskSpecificParams, type Generation } from './generation.js';
import { bestSpan, tokenSpans } from './offsets.js';
import { invalid, only, readJson, type Args } from './task-args.js';
import type { Task, TaskSpec } from './tasks.js';

/** A pipeline as called here: inputs (and for zero-shot the labels), then options. */
type Runner = (...args: unknown[]) => Promise<unknown>;

const pipelines = new Map<string, Promise<Runner>>();

/**
 * ONNX Runtime's intra-op threads wait for work without spinning: a generation step on a small
 * model is shorter than a spin, and spinning threads take the cores the event loop and the other
 * requests need (BENCHMARKS.md, text generation: 0.41x to 3.8x Python's tokens/s on the loaded machine).
 */
const SESSION_OPTIONS = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

export function load(dir: string, task: Task): Promise<Runner> {
  const key = `${task}\u0000${dir}`;
  let loading = pipelines.get(key);
  if (!loading) {
    loading = pipeline(task, dir, { dtype: 'fp32', device: 'cpu', session_options: SESSION_OPTIONS }) as unknown as Promise<Runner>;
    pipelines.set(key, loading);
    loading.catch(() => pipelines.delete(key));
  }
  return loading;
}

/** The answers of `times` generate calls, each a list of one answer, as one list. */
async function sample(times: number, generate: () => Promise<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < times; i += 1) out.push(...((await generate()) as unknown[]));
  return out;
}

export interface TaskRun {
  dir: string;
  spec: TaskSpec;
  inputs: readonly string[];
  args: Args;
  checkpoint: () => void;
  /** True once the request is canceled. */
  isStopped: () => boolean;
}

export async function runTask(run: TaskRun): Promise<unknown> {
  const { dir, spec, inputs, args, checkpoint } = run;
  const task = spec.task;
  const each = async (fn: (input: string) => Promise<unknown>) => {
    const out: unknown[] = [];
    for (const input of inputs) {
      checkpoint();
      out.push(await fn(input));
    }
    checkpoint();
    return out;
  };
  switch (task) {
    case 'text-classification': {
      only(task, args, ['top_k', 'function_to_apply']);
      const classify = await load(dir, task);
      return each(async (text) => ((await classify([text], args)) as unknown[])[0]);
    }
    case 'zero-shot-classification': {
      only(task, args, ['candidate_labels', 'hypothesis_template', 'multi_label']);
      const { candidate_labels: labels, ...options } = args;
      if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
        throw invalid(task, 'args must have "candidate_labels", an array of strings');
      }
      const classify = await load(dir, task);
      return each((text) => classify(text, labels, options));
    }
    case 'fill-mask': {
      only(task, args, ['top_k']);
      const fill = await load(dir, task);
      const out = await each((text) => fill(text, args));
      // Python's pipeline answers one input with its list of candidates, not a list of one list.
      return out.length === 1 ? out[0] : out;
    }
    case 'token-classification':
      return classifyTokens(run, await load(dir, task));
    case 'question-answering':
      return answerQuestions(run);
    case 'summarization':
    case 'translation':
    case 'text2text-generation': {
      const taskKey = spec.variant ?? task;
      const { prefix } = taskSpecificParams(dir, taskKey);
      const generate = await load(dir, task);
      const { options, sequences } = generationOptions(task, dir, args, [], run.isStopped, false, taskKey);
      const out = await each((text) => sample(sequences, () => generate(prefix + text, options)));
      // Python's pipeline flattens the list when every input has one answer.
      return sequences === 1 ? out.flat() : out;
    }
    case 'text-generation': {
      const generate = await load(dir, task);
      const generation = generationOptions(task, dir, args, ['return_full_text'], run.isStopped, true);
      if (generation.openAi) return (await each((text) => complete(generate, text, generation))).flat();
      return each((text) => sample(generation.sequences, () => generate(text, generation.options)));
    }
    case 'feature-extraction':
      return extractFeatures(run, await load(dir, task));
  }
}

/**
 * Python's feature-extraction pipeline: per input, the model's last hidden state for every token
 * ([1][tokens][hidden], special tokens included), unpooled. Python does not truncate unless asked
 * to (`truncation`), and a text longer than the model takes fails there: it fails here too.
 */
async function extractFeatures(run: TaskRun, extract: Runner): Promise<unknown[]> {
  const task = 'feature-extraction';
  only(task, run.args, ['truncation']);
  const { truncation = false } = run.args;
  if (typeof truncation !== 'boolean') throw invalid(task, '"truncation" must be true or false');
  const { tokenizer } = extract as unknown as { tokenizer: PreTrainedTokenizer };
  const out: unknown[] = [];
  for (const text of run.inputs) {
    run.checkpoint();
    const length = (tokenizer(text) as unknown as { input_ids: Tensor }).input_ids.dims.at(-1)!;
    if (!truncation && length > tokenizer.model_max_length) {
      throw invalid(task, `an input has ${length} tokens, more than the model's ${tokenizer.model_max_length}; pass "truncation": true to cut it there`);
    }
    out.push(((await extract(text, { pooling: 'none', normalize: false })) as Tensor).tolist());
  }
  return out;
}

/** OpenAI's completions of `prompt`: the new text of each sequence, after the prompt with `echo`. */
async function complete(generator: Runner, prompt: string, generation: Generation): Promise<string[]> {
  const { model, tokenizer } = generator as unknown as { model: PreTrainedModel; tokenizer: PreTrainedTokenizer };
  return (await answers(model, tokenizer, prompt, generation)).map((text) => (generation.openAi?.echo ? prompt : '') + text);
}

/** The tokens of `ids` as vocabulary strings, null for special tokens. */
function tokensOf(tokenizer: PreTrainedTokenizer, ids: number[]): (string | null)[] {
  const vocab = tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
  const byId = new Map<number, string>();
  for (const [token, id] of vocab instanceof Map ? vocab : Object.entries(vocab)) byId.set(id, token);
  const special = new Set(tokenizer.all_special_ids.map(Number));
  return ids.map((id) => (special.has(id) ? null : (byId.get(id) ?? null)));
}

/** The tokens the model sees for `text` (and `pair`), as tokensOf gives them. */
function encode(tokenizer: PreTrainedTokenizer, text: string, pair?: string): { tokens: (string | null)[] } {
  const encoded = tokenizer(text, pair === undefined ? { truncation: true } : { text_pair: pair, truncation: true }) as unknown as Record<string, Tensor>;
  return { tokens: tokensOf(tokenizer, [...(encoded.input_ids!.data as BigInt64Array)].map(Number)) };
}

async function classifyTokens(run: TaskRun, classify: Runner): Promise<unknown> {
  only(run.spec.task, run.args, ['ignore_labels']);
  const tokenizer = (classify as unknown as { tokenizer: PreTrainedTokenizer }).tokenizer;
  const out: unknown[] = [];
  for (const text of run.inputs) {
    run.checkpoint();
    const entities = (await classify(text, run.args)) as { index: number }[];
    const { tokens } = encode(tokenizer, text);
    const spans = tokenSpans(text, tokens, tokenizer.unk_token ?? undefined);
    out.push(entities.map((e) => ({ ...e, start: spans[e.index]?.[0] ?? null, end: spans[e.index]?.[1] ?? null })));
  }
  return out;
}

const questionAnswering = new Map<string, Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel }>>();

/**
 * Inputs are PostgresML's JSON strings `{"question": ..., "context": ...}`. transformers.js's
 * pipeline decodes the answer from tokens (lower-cased by uncased tokenizers) and has no
 * offsets, so the model is run here and the answer cut from the context as Python does.
 */
async function answerQuestions(run: TaskRun): Promise<unknown> {
  const task = run.spec.task;
  only(task, run.args, ['top_k', 'max_answer_len']);
  if (run.args.top_k !== undefined && run.args.top_k !== 1) throw invalid(task, 'only top_k 1 is supported');
  const maxAnswerLength = run.args.max_answer_len ?? 15;
  if (!Number.isInteger(maxAnswerLength) || (maxAnswerLength as number) < 1) throw invalid(task, 'max_answer_len must be a positive integer');
  let loading = questionAnswering.get(run.dir);
  if (!loading) {
    loading = Promise.all([
      AutoTokenizer.from_pretrained(run.dir),
      AutoModelForQuestionAnswering.from_pretrained(run.dir, { dtype: 'fp32', device: 'cpu' }),
    ]).then(([tokenizer, model]) => ({ tokenizer, model }));
    questionAnswering.set(run.dir, loading);
    loading.catch(() => questionAnswering.delete(run.dir));
  }
  const { tokenizer, model } = await loading;
  const answers: unknown[] = [];
  for (const input of run.inputs) {
    run.checkpoint();
    const { question, context } = questionOf(input);
    const encoded = tokenizer(question, { text_pair: context, truncation: true }) as unknown as Record<string, Tensor>;
    const { start_logits: start, end_logits: end } = (await model(encoded)) as Record<string, Tensor>;
    const { tokens } = encode(tokenizer, question, context);
    // The context is what follows the question's closing special token.
    const firstSeparator = tokens.findIndex((t, i) => i > 0 && t === null);
    const isContext = tokens.map((t, i) => i === 0 || (i > firstSeparator && t !== null));
    const best = bestSpan(start!.data as Float32Array, end!.data as Float32Array, isContext, maxAnswerLength as number);
    const spans = tokenSpans(context, tokens.map((t, i) => (i > firstSeparator ? t : null)), tokenizer.unk_token ?? undefined);
    const from = spans[best.start]?.[0] ?? 0;
    const to = spans[best.end]?.[1] ?? 0;
    answers.push({ score: best.score, start: from, end: to, answer: context.slice(from, to) });
  }
  return answers.length === 1 ? answers[0] : answers;
}

function questionOf(input: string): { question: string; context: string } {
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    value = undefined;
  }
  const q = value as { question?: unknown; context?: unknown } | undefined;
  if (typeof q?.question !== 'string' || typeof q.context !== 'string') {
    throw invalid('question-answering', 'each input must be a JSON object with "question" and "context" strings');
  }
  return { question: q.question, context: q.context };
}
