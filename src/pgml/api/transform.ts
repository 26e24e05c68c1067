/**
 * pgml.transform(task, args, inputs, cache), PostgresML 2.x's two text-input signatures: the
 * task as text, or as jsonb `{"task": ..., "model": ...}` (or only `{"model": ...}`: the task is
 * then read from the model's config, as Hugging Face pipelines infer it). `args` are the
 * pipeline call's kwargs; the result is the pipeline's answer as jsonb, in Python's shapes. The
 * work runs on the embedding thread (src/pgml/embeddings/pipelines.ts). `cache` is accepted and
 * ignored, as PostgresML does (pipelines are always cached per model). The conversational
 * overloads take chat messages (`inputs jsonb[]`) and answer them (embeddings/stream.ts).
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, type ArgsOf, type Param } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import type { Embedder, NoticeSink } from '../embeddings/index.js';
import { DEFAULT_MODELS, parseTask } from '../embeddings/tasks.js';
import { jsonbArgument } from './jsonb.js';

/** Both overloads' parameters: the task is text, or jsonb as in PostgresML. */
function params(taskType: 'text' | 'jsonb') {
  return {
    task: param(taskType, z.unknown()),
    args: optionalParam('jsonb', z.unknown()),
    inputs: optionalParam('text[]', z.array(z.string().nullable()).nullable()),
    cache: optionalParam('boolean', z.boolean().nullable()),
  };
}
type Args = ArgsOf<ReturnType<typeof params>>;

/** The conversational overloads' parameters (here and in transform_stream): chat messages. */
export function chatParams(taskType: 'text' | 'jsonb') {
  return {
    task: param(taskType, z.unknown()),
    args: optionalParam('jsonb', z.unknown()),
    inputs: optionalParam('jsonb[]', z.array(z.unknown()).nullable()),
    cache: optionalParam('boolean', z.boolean().nullable()),
  };
}
type ChatArgs = ArgsOf<ReturnType<typeof chatParams>>;

/** Chat messages as JSON values; `{"role", "content"}` is checked where the chat template renders them. */
export function chatMessages(inputs: readonly unknown[]): unknown[] {
  return inputs.map((message) => {
    if (message === null) throw new PgError(SqlState.NullValueNotAllowed, 'pgml.transform: inputs must not contain NULL');
    return jsonbArgument(message, 'pgml.transform: inputs');
  });
}

/** Keys of the jsonb task that only steer PyTorch (devices, dtypes, auth): meaningless here. */
const PYTHON_ONLY = ['device', 'device_map', 'torch_dtype', 'trust_remote_code', 'token', 'use_auth_token', 'revision', 'model_type', 'load_in_8bit', 'load_in_4bit'];

export function jsonObject(value: unknown, what: string): Record<string, unknown> {
  const parsed = jsonbArgument(value, what) ?? {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PgError(SqlState.InvalidParameterValue, `${what} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The model and the task name (undefined: the model's config tells) a call asks for. `extraTasks`
 * are names the caller handles itself (transform_stream's conversational), which need a model.
 */
export function taskOf(task: unknown, jsonTask: boolean, extraTasks: readonly string[] = []): { task: string | undefined; model: string } {
  const spec = jsonTask ? jsonObject(task, 'pgml.transform: task') : { task };
  const unknown = Object.keys(spec).filter((k) => k !== 'task' && k !== 'model' && !PYTHON_ONLY.includes(k));
  if (unknown.length > 0) {
    throw new PgError(SqlState.InvalidParameterValue, `pgml.transform: unsupported keys in task: ${unknown.join(', ')}`, {
      hint: `The task object takes "task" and "model"; ${PYTHON_ONLY.join(', ')} are accepted and ignored.`,
    });
  }
  if (spec.task !== undefined && typeof spec.task !== 'string') throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: "task" must be a string');
  if (spec.model !== undefined && typeof spec.model !== 'string') throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: "model" must be a string');
  if (spec.task === undefined && spec.model === undefined) {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: the task needs "task", "model" or both');
  }
  if (spec.task !== undefined && extraTasks.includes(spec.task)) {
    if (spec.model === undefined) throw new PgError(SqlState.InvalidParameterValue, `pgml.transform: the ${spec.task} task needs a "model"`);
    return { task: spec.task, model: spec.model };
  }
  // Checked here too, so an unknown task fails before any model is looked for.
  const parsed = spec.task === undefined ? undefined : parseTask(spec.task);
  return { task: spec.task, model: spec.model ?? DEFAULT_MODELS[parsed!.task] };
}

async function run(embedder: Embedder, args: Args, jsonTask: boolean, signal: AbortSignal, notice: NoticeSink): Promise<unknown> {
  if (args.task === null || args.inputs === null || args.args === null) return null;
  const { task, model } = taskOf(args.task, jsonTask);
  const kwargs = jsonObject(args.args, 'pgml.transform: args');
  const inputs = args.inputs ?? [];
  if (inputs.some((input) => input === null)) throw new PgError(SqlState.NullValueNotAllowed, 'pgml.transform: inputs must not contain NULL');
  return embedder.transformBatch(model, task, inputs as string[], kwargs, signal, notice);
}

/**
 * The conversational overloads. PostgresML's extension takes them only with the conversational
 * task; its documentation shows them with text-generation too, which is taken as the same.
 */
async function runChat(embedder: Embedder, args: ChatArgs, jsonTask: boolean, signal: AbortSignal, notice: NoticeSink): Promise<unknown> {
  if (args.task === null || args.inputs === null || args.args === null || args.cache === null) return null;
  const { task, model } = taskOf(args.task, jsonTask, ['conversational']);
  if (task !== undefined && task !== 'conversational' && parseTask(task).task !== 'text-generation') {
    throw new PgError(SqlState.InvalidParameterValue, 'ARRAY[]::JSONB inputs for transform should only be used with a conversational task');
  }
  return embedder.answerChat(model, task, chatMessages(args.inputs ?? []), jsonObject(args.args, 'pgml.transform: args'), signal, notice);
}

/** One overload of pgml.transform: its parameters and what runs it (on the embedding thread). */
function overload<P extends Record<string, Param>>(
  params: P,
  evaluate: (embedder: Embedder, args: ArgsOf<P>, signal: AbortSignal, notice: NoticeSink) => Promise<unknown>,
) {
  return defineFunction({
    schema: 'pgml',
    name: 'transform',
    params,
    returns: { kind: 'scalar', type: 'jsonb' },
    pure: true,
    execute: (args, ctx) => withStatementLimits(ctx, (signal) => evaluate(ctx.services.embedder, args, signal, (m) => ctx.notice(m, 'NOTICE'))),
  });
}

export const transformText = overload(params('text'), (embedder, args, signal, notice) => run(embedder, args, false, signal, notice));
export const transformJson = overload(params('jsonb'), (embedder, args, signal, notice) => run(embedder, args, true, signal, notice));
export const transformChatText = overload(chatParams('text'), (embedder, args, signal, notice) => runChat(embedder, args, false, signal, notice));
export const transformChatJson = overload(chatParams('jsonb'), (embedder, args, signal, notice) => runChat(embedder, args, true, signal, notice));
