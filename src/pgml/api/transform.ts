/**
 * pgml.transform for the pipeline tasks local ONNX models support: text-classification (alias
 * sentiment-analysis) and feature-extraction. The task is given as text or, as in PostgresML, as
 * jsonb `{"task": ..., "model": ...}`; `args` are the pipeline call's kwargs. Without a model the
 * task's Hugging Face default is used (it must be local, or downloads enabled).
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, type ArgsOf } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import { classifyBatch, embedBatch } from '../embeddings/index.js';
import { embedOptions } from './embed.js';
import { jsonbArgument } from './jsonb.js';

const DEFAULT_MODELS: Record<string, string> = {
  'text-classification': 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
  'feature-extraction': 'distilbert/distilbert-base-cased',
};
const ALIASES: Record<string, string> = { 'sentiment-analysis': 'text-classification' };

/** Both overloads' parameters: the task is text, or jsonb as in PostgresML. */
function params(taskType: 'text' | 'jsonb') {
  return {
    task: param(taskType, z.unknown()),
    args: optionalParam('jsonb', z.unknown()),
    inputs: optionalParam('text[]', z.array(z.string()).nullable()),
    cache: optionalParam('boolean', z.boolean().nullable()),
  };
}
type Args = ArgsOf<ReturnType<typeof params>>;

function asObject(value: unknown, what: string): Record<string, unknown> {
  const parsed = jsonbArgument(value, what) ?? {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PgError(SqlState.InvalidParameterValue, `pgml.transform: ${what} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function taskOf(task: unknown, jsonTask: boolean): { task: string; model: string } {
  const spec = jsonTask ? asObject(task, 'task') : { task };
  const name = typeof spec.task === 'string' ? (ALIASES[spec.task] ?? spec.task) : undefined;
  if (!name || !(name in DEFAULT_MODELS)) {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.transform: task ${JSON.stringify(spec.task ?? null)} is not supported`, {
      hint: `Supported tasks: ${Object.keys(DEFAULT_MODELS).join(', ')} (with ONNX models).`,
    });
  }
  const model = spec.model ?? DEFAULT_MODELS[name];
  if (typeof model !== 'string') throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: "model" must be a string');
  return { task: name, model };
}

async function run(args: Args, jsonTask: boolean, signal: AbortSignal): Promise<unknown> {
  if (args.task === null || args.inputs === null || args.args === null) return null;
  const { task, model } = taskOf(args.task, jsonTask);
  const kwargs = asObject(args.args, 'args');
  const inputs = args.inputs ?? [];
  if (task === 'text-classification') {
    const { top_k: topK, ...rest } = kwargs;
    if (Object.keys(rest).length > 0) {
      throw new PgError(SqlState.InvalidParameterValue, `pgml.transform: unsupported args for text-classification: ${Object.keys(rest).join(', ')}`);
    }
    if (topK !== undefined && topK !== null && !(Number.isInteger(topK) && (topK as number) > 0)) {
      throw new PgError(SqlState.InvalidParameterValue, 'pgml.transform: top_k must be a positive integer or null');
    }
    return classifyBatch(model, inputs, topK as number | null | undefined, signal);
  }
  // feature-extraction: one pooled vector per input (the kwargs of pgml.embed apply).
  return embedBatch(model, inputs, embedOptions(kwargs), signal);
}

export const transformText = defineFunction({
  schema: 'pgml',
  name: 'transform',
  params: params('text'),
  returns: { kind: 'scalar', type: 'jsonb' },
  pure: true,
  execute: (args, ctx) => withStatementLimits(ctx, (signal) => run(args, false, signal)),
});

export const transformJson = defineFunction({
  schema: 'pgml',
  name: 'transform',
  params: params('jsonb'),
  returns: { kind: 'scalar', type: 'jsonb' },
  pure: true,
  execute: (args, ctx) => withStatementLimits(ctx, (signal) => run(args, true, signal)),
});
