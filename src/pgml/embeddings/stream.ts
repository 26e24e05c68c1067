/**
 * pgml.transform_stream on the embedding thread: text generation whose text is handed out in
 * pieces while it is made, cut as PostgresML cuts it. PostgresML's TextIteratorStreamer
 * (pgml-extension/src/bindings/transformers/transformers.py) decodes each sequence's tokens so far
 * and hands out the text up to its last space, or all of it once it ends with a newline (then
 * starting afresh); what is left comes at the end, even when empty. A completion streams its
 * prompt too (PostgresML does not skip it); a chat streams only the answer. Chat messages are
 * answered under the conversational task, as PostgresML's extension requires, and under
 * text-generation too, as PostgresML's documentation (its cloud) shows them. Each piece is one row:
 * a list of one string per generated sequence.
 *
 * Pacing: `emitted` rows go out at once (postMessage), and before each next model step generation
 * waits until the proxy has taken enough of them (`paced`), so an unread stream holds a few rows
 * and a paused model, not the whole generation.
 */
import { BaseStreamer, type PreTrainedModel, type PreTrainedTokenizer, type TextStreamer } from '@huggingface/transformers';
import { PgError, SqlState } from '../../errors/index.js';
import { answers, decodeText, endIds, endingRows, generationOptions, promptInputs } from './generation.js';
import { load } from './pipelines.js';
import type { StreamInput } from './protocol.js';
import { stopIndex, stopSafeLength } from './stop-text.js';
import { parseTask, taskFromConfig } from './tasks.js';

export interface StreamRun {
  dir: string;
  model: string;
  /** As requested; undefined: the model's config tells. */
  task: string | undefined;
  config: Record<string, unknown>;
  input: StreamInput;
  args: Record<string, unknown>;
  emit(row: string[]): void;
  /** Resolves once generation may take another step (the proxy has room for more rows). */
  paced(): Promise<void>;
  isStopped(): boolean;
}

/**
 * Collects each sequence's tokens as generate() hands them over (the prompt's first, then each step's
 * new token per sequence), up to its end token (a batch goes on until all sequences have ended, and
 * Python pads the others), and emits a row of one piece per sequence: `piece` says how much of each
 * sequence's text goes out now, and all that is left at the end.
 */
abstract class SequenceStreamer extends BaseStreamer {
  protected readonly tokens: number[][] = [];
  protected readonly handedOut: number[] = [];
  private readonly ended = new Set<number>();
  private promptSeen = false;

  constructor(
    protected readonly tokenizer: PreTrainedTokenizer,
    /** Whether the prompt's call emits a row (a completion streams its prompt); its tokens are kept if `keepsPromptTokens`. */
    private readonly streamsPrompt: boolean,
    private readonly keepsPromptTokens: boolean,
    private readonly ends: Set<number>,
    private readonly emit: (row: string[]) => void,
  ) {
    super();
  }

  protected abstract piece(sequence: number, atEnd: boolean): string;

  override put(values: bigint[][]): void {
    const isPrompt = !this.promptSeen;
    this.promptSeen = true;
    if (isPrompt && !this.streamsPrompt) return;
    const row = values.map((ids, i) => {
      const tokens = (this.tokens[i] ??= []);
      for (const id of isPrompt && !this.keepsPromptTokens ? [] : ids) {
        if (this.ended.has(i)) break;
        tokens.push(Number(id));
        if (!isPrompt && this.ends.has(Number(id))) this.ended.add(i);
      }
      return this.piece(i, false);
    });
    if (row.some((piece) => piece !== '')) this.emit(row);
  }

  override end(): void {
    this.emit(this.tokens.map((_, i) => this.piece(i, true)));
  }
}

/** PostgresML's TextIteratorStreamer, piece for piece (see the file comment). */
class PieceStreamer extends SequenceStreamer {
  constructor(tokenizer: PreTrainedTokenizer, skipPrompt: boolean, ends: Set<number>, emit: (row: string[]) => void) {
    super(tokenizer, !skipPrompt, true, ends, emit);
  }

  protected piece(i: number, atEnd: boolean): string {
    const start = (this.handedOut[i] ??= 0);
    const text = decodeText(this.tokenizer, this.tokens[i] ?? []);
    if (atEnd) return text.slice(start);
    if (text.endsWith('\n')) {
      this.tokens[i] = [];
      this.handedOut[i] = 0;
      return text.slice(start);
    }
    const piece = text.slice(start, text.lastIndexOf(' ') + 1);
    this.handedOut[i] = start + piece.length;
    return piece;
  }
}

/**
 * The pieces of OpenAI-style generation with `stop` texts: cut as PieceStreamer cuts them, except
 * that the end of the new text that could be the start of a stop text is held back until the next
 * tokens show whether it is; at a stop text the sequence's text ends (generation ends it too:
 * EndedRows). The text is what pgml.transform answers: the prompt (with `echo`), then the new
 * tokens decoded, cut before the first stop text.
 */
class StoppingPieceStreamer extends SequenceStreamer {
  /** Sequences at a stop text (handed out to it). */
  private readonly stopped = new Set<number>();

  constructor(
    tokenizer: PreTrainedTokenizer,
    /** The text before the new tokens: the prompt with `echo`, else empty. */
    private readonly prefix: string,
    private readonly stops: readonly string[],
    ends: Set<number>,
    emit: (row: string[]) => void,
  ) {
    super(tokenizer, prefix !== '', false, ends, emit);
  }

  protected piece(i: number, atEnd: boolean): string {
    const start = (this.handedOut[i] ??= 0);
    if (this.stopped.has(i)) return '';
    const generated = decodeText(this.tokenizer, this.tokens[i] ?? []);
    const text = this.prefix + generated;
    const at = stopIndex(generated, this.stops);
    let end: number;
    if (at !== undefined) {
      this.stopped.add(i);
      end = this.prefix.length + at;
    } else if (atEnd) {
      end = text.length;
    } else {
      const cut = text.endsWith('\n') ? text.length : text.lastIndexOf(' ') + 1;
      end = Math.max(start, Math.min(cut, this.prefix.length + stopSafeLength(generated, this.stops)));
    }
    this.handedOut[i] = end;
    return text.slice(start, end);
  }
}

function streamTask(run: Pick<StreamRun, 'task' | 'config' | 'model'>): 'text-generation' | 'conversational' {
  if (run.task === 'conversational') return 'conversational';
  const task = run.task === undefined ? taskFromConfig(run.config, run.model) : parseTask(run.task).task;
  if (task !== 'text-generation') {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.transform_stream: task "${run.task ?? task}" does not stream`, {
      hint: 'pgml.transform_stream streams the text-generation and conversational tasks; use pgml.transform for the others.',
    });
  }
  return task;
}

/** The prompt as text: a completion's own, or the chat rendered by the model's chat template. */
function promptOf(task: 'text-generation' | 'conversational', input: StreamInput, tokenizer: PreTrainedTokenizer, chatTemplate: unknown): string {
  if (input.kind === 'text' && task === 'text-generation') return input.text;
  if (input.kind === 'text') {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform_stream: the conversational task takes chat messages', {
      hint: `Pass inputs => ARRAY['{"role": "user", "content": "..."}'::jsonb].`,
    });
  }
  const messages = input.messages.map((m) => {
    const message = m as { role?: unknown; content?: unknown } | null;
    if (typeof message?.role !== 'string' || typeof message.content !== 'string') {
      throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform_stream: each chat message must be a JSON object with "role" and "content" strings');
    }
    return { role: message.role, content: message.content };
  });
  if (chatTemplate !== undefined && typeof chatTemplate !== 'string') {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform_stream: "chat_template" must be a string');
  }
  if (chatTemplate === undefined && !tokenizer.chat_template) {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform_stream: the model has no chat template', {
      hint: 'Give one in args: {"chat_template": "{% for message in messages %}...{% endfor %}"}.',
    });
  }
  return tokenizer.apply_chat_template(messages, {
    tokenize: false,
    add_generation_prompt: true,
    ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
  }) as string;
}

/** The model, its tokenizer, the prompt and generate()'s options for a run. */
async function prepare(run: Omit<StreamRun, 'emit' | 'paced'>) {
  const task = streamTask(run);
  const { chat_template: chatTemplate, ...args } = run.args;
  const pipeline = (await load(run.dir, 'text-generation')) as unknown as { model: PreTrainedModel; tokenizer: PreTrainedTokenizer };
  const { model, tokenizer } = pipeline;
  const prompt = promptOf(task, run.input, tokenizer, chatTemplate);
  const generation = generationOptions('text-generation', run.dir, args, [], run.isStopped, true);
  if (generation.openAi?.echo && run.input.kind === 'chat') {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: "echo" is an argument of completions, not of chat messages');
  }
  return { task, model, tokenizer, prompt, generation };
}

export async function streamGeneration(run: StreamRun): Promise<null> {
  const { model, tokenizer, prompt, generation } = await prepare(run);
  const { openAi } = generation;
  // As PostgresML tokenizes it: the tokenizer's special tokens added, also to a chat template's text.
  const inputs = promptInputs(tokenizer, prompt, generation.sequences);
  // The shared model, seen through an object whose model steps first wait for the proxy to
  // keep up: generate() awaits each step, so the thread serves other requests meanwhile.
  const paced = Object.create(model) as PreTrainedModel;
  paced.forward = async (modelInputs: Record<string, unknown>) => {
    await run.paced();
    return model.forward(modelInputs);
  };
  // OpenAI's completions leave the prompt out unless asked to echo it.
  const skipPrompt = run.input.kind === 'chat' || (openAi !== undefined && !openAi.echo);
  const ends = endIds(model, generation.options);
  const streamer =
    openAi !== undefined && openAi.stop.length > 0
      ? new StoppingPieceStreamer(tokenizer, skipPrompt ? '' : prompt, openAi.stop, ends, run.emit)
      : new PieceStreamer(tokenizer, skipPrompt, ends, run.emit);
  // generate() calls only put() and end(); its declared type names TextStreamer, a subclass.
  await model.generate.call(paced, { ...inputs, ...endingRows(model, tokenizer, inputs, generation), streamer: streamer as unknown as TextStreamer });
  return null;
}

/**
 * pgml.transform's conversational overloads: the answer to chat messages, as PostgresML's
 * StandardPipeline gives it: the new tokens only, decoded without special tokens, in a list.
 */
export async function answerChat(run: Omit<StreamRun, 'emit' | 'paced'>): Promise<string[]> {
  const { model, tokenizer, prompt, generation } = await prepare(run);
  return answers(model, tokenizer, prompt, generation);
}
