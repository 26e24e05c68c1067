/**
 * pgml.transform_stream(task, args, input | inputs, cache) → SETOF jsonb, PostgresML 2.8's four
 * overloads: the task as text or jsonb, and a prompt to complete (`input text`) or chat messages
 * (`inputs jsonb[]`, the conversational task). Each row is a JSON list of one string: a piece of
 * the generated text, cut as PostgresML's streamer cuts it (embeddings/stream.ts). A statement
 * that streams (src/proxy/stream-answer.ts) sends each row as it is made; elsewhere the rows come
 * all at once from `execute`. Strict, as PostgresML declares it: a NULL argument gives no rows.
 */
import { z } from 'zod';
import { streamWithStatementLimits, withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, type CallContext } from '../../functions/index.js';
import type { StreamInput } from '../embeddings/index.js';
import { chatMessages, chatParams, jsonObject, taskOf } from './transform.js';

type InputKind = 'text' | 'chat';

/** The completion overloads' parameters: a prompt. */
function textParams(taskType: 'text' | 'jsonb') {
  return {
    task: param(taskType, z.unknown()),
    args: optionalParam('jsonb', z.unknown()),
    input: optionalParam('text', z.string().nullable()),
    cache: optionalParam('boolean', z.boolean().nullable()),
  };
}

interface StreamArgs {
  task: unknown;
  args?: unknown;
  input?: string | null | undefined;
  inputs?: unknown[] | null | undefined;
  cache?: boolean | null | undefined;
}

/** The rows, one per piece of text; none when an argument is NULL (STRICT). */
async function* rows(args: StreamArgs, jsonTask: boolean, kind: InputKind, ctx: CallContext, signal: AbortSignal): AsyncGenerator<string[], void, undefined> {
  const given = kind === 'text' ? args.input : args.inputs;
  if (args.task === null || args.args === null || given === null || args.cache === null) return;
  const parsed = taskOf(args.task, jsonTask, ['conversational']);
  const kwargs = jsonObject(args.args, 'pgml.transform_stream: args');
  const input: StreamInput = kind === 'text' ? { kind, text: args.input ?? '' } : { kind, messages: chatMessages(args.inputs ?? []) };
  yield* ctx.services.embedder.streamText(parsed.model, parsed.task, input, kwargs, signal, (m) => ctx.notice(m, 'NOTICE'));
}

async function collect(stream: AsyncIterable<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const row of stream) out.push(row);
  return out;
}

function overload(taskType: 'text' | 'jsonb', kind: InputKind) {
  const jsonTask = taskType === 'jsonb';
  const declaration = {
    schema: 'pgml' as const,
    name: 'transform_stream',
    returns: { kind: 'setof' as const, type: 'jsonb' },
    pure: true,
    execute: (args: StreamArgs, ctx: CallContext) => withStatementLimits(ctx, (signal) => collect(rows(args, jsonTask, kind, ctx, signal))),
    stream: (args: StreamArgs, ctx: CallContext) => streamWithStatementLimits(ctx, (signal) => rows(args, jsonTask, kind, ctx, signal)),
  };
  return kind === 'text' ? defineFunction({ ...declaration, params: textParams(taskType) }) : defineFunction({ ...declaration, params: chatParams(taskType) });
}

export const transformStreamText = overload('text', 'text');
export const transformStreamJson = overload('jsonb', 'text');
export const transformStreamChatText = overload('text', 'chat');
export const transformStreamChatJson = overload('jsonb', 'chat');
