/** The kwargs of pgml.embed, validated once on the main thread and sent to the worker as plain data. */
import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';

export type Pooling = 'mean' | 'cls' | 'max';

export interface EmbedOptions {
  /** Overrides the model's own setting (sentence-transformers' Normalize module). */
  normalize?: boolean | undefined;
  /** Overrides the model's pooling config. */
  pooling?: Pooling | undefined;
  /** Prepended to every input, as e5/instructor-style models expect ("query: ", "passage: "). */
  prompt?: string | undefined;
  /** A prompt of the model's config_sentence_transformers.json, by name ("query", "document"). */
  promptName?: string | undefined;
  batchSize?: number | undefined;
}

/**
 * PostgresML hands kwargs to SentenceTransformer.encode; the names it accepts there are accepted
 * here (normalize_embeddings, batch_size, prompt), and keys that only steer Python (device,
 * show_progress_bar...) are ignored. Anything else is an error rather than silently dropped.
 */
const IGNORED = ['device', 'show_progress_bar', 'convert_to_numpy', 'convert_to_tensor', 'trust_remote_code', 'cache'] as const;

export const EmbedKwargs = z
  .object({
    normalize: z.boolean().optional(),
    normalize_embeddings: z.boolean().optional(),
    pooling: z.enum(['mean', 'cls', 'max']).optional(),
    prompt: z.string().optional(),
    prompt_name: z.string().optional(),
    // PostgresML's name for the prompt of instructor models (`"instruction": "Represent the query: "`).
    instruction: z.string().optional(),
    batch_size: z.number().int().min(1).max(1024).optional(),
    ...Object.fromEntries(IGNORED.map((k) => [k, z.unknown().optional()])),
  })
  .strict()
  .transform(
    (k): EmbedOptions => ({
      normalize: k.normalize ?? k.normalize_embeddings,
      pooling: k.pooling,
      prompt: k.prompt ?? k.instruction,
      promptName: k.prompt_name,
      batchSize: k.batch_size,
    }),
  );

/** Calls without kwargs (most of them) share this parse, made once instead of by zod per call. */
const NO_KWARGS: Readonly<EmbedOptions> = Object.freeze(EmbedKwargs.parse({}));

/** pgml.embed's kwargs (jsonb arrives parsed from a constant or a parameter, or as text from an untyped literal). */
export function embedOptions(kwargs: unknown): EmbedOptions {
  if (kwargs === undefined) return { ...NO_KWARGS };
  const value = parseJsonb(kwargs, 'kwargs') ?? {};
  const parsed = EmbedKwargs.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    throw new PgError(SqlState.InvalidParameterValue, `pgml.embed: invalid kwargs${where}: ${issue?.message ?? 'invalid value'}`, {
      hint: 'Supported keys: normalize (or normalize_embeddings), pooling (mean, cls, max), prompt, prompt_name, instruction, batch_size.',
    });
  }
  return parsed.data;
}

/**
 * A jsonb argument: parsed already when it came as a jsonb constant or parameter, text when it came
 * as an untyped literal. Text Postgres would not parse fails as its jsonb input does (22P02).
 */
export function parseJsonb(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new PgError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json', { detail: `Argument ${name} is not valid JSON.` });
  }
}
