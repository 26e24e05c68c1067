/**
 * pgml.embed with PostgresML 2.x's two signatures: one text → real[], and text[] → SETOF real[].
 * Both are strict like PostgresML's (NULL in, NULL out). The scalar form has a batch form that
 * per-row evaluation uses: calls sharing a model and kwargs become one embedding-thread request.
 * The batch form's results come back from the embedding thread as Float32Arrays: per-row
 * evaluation writes them upstream as real[] in binary, so no one formats or parses the text of
 * thousands of vectors. Single calls return numbers, which a nested call can read.
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, type ArgsOf } from '../../functions/index.js';
import { embedOptions, type Embedder, type EmbedOptions } from '../embeddings/index.js';

const oneText = {
  transformer: param('text', z.string().nullable()),
  text: param('text', z.string().nullable()),
  kwargs: optionalParam('jsonb', z.unknown()),
};
type OneText = ArgsOf<typeof oneText>;

export const embedText = defineFunction({
  schema: 'pgml',
  name: 'embed',
  params: oneText,
  returns: { kind: 'scalar', type: 'real[]' },
  pure: true,
  async execute(args, ctx) {
    if (args.transformer === null || args.text === null || args.kwargs === null) return null;
    const [vector] = await ctx.services.embedder.embedBatch(args.transformer, [args.text], embedOptions(args.kwargs), ctx.signal, (m) => ctx.notice(m, 'NOTICE'));
    return vector ?? null;
  },
  // Over a table: each batch of rows stops on a cancel or statement_timeout (functions/cancel.ts).
  executeBatch: (calls, ctx) => withStatementLimits(ctx, (signal) => embedRows(ctx.services.embedder, calls, signal)),
});

async function embedRows(embedder: Embedder, calls: readonly OneText[], signal: AbortSignal): Promise<(Float32Array | null)[]> {
  const results: (Float32Array | null)[] = new Array(calls.length).fill(null);
  const groups = new Map<string, { transformer: string; options: EmbedOptions; indexes: number[]; texts: string[] }>();
  calls.forEach((call, i) => {
    if (call.transformer === null || call.text === null || call.kwargs === null) return;
    const options = embedOptions(call.kwargs);
    const key = JSON.stringify([call.transformer, options]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { transformer: call.transformer, options, indexes: [], texts: [] }));
    group.indexes.push(i);
    group.texts.push(call.text);
  });
  for (const group of groups.values()) {
    const vectors = await embedder.embedAsFloat32(group.transformer, group.texts, group.options, signal);
    group.indexes.forEach((row, k) => (results[row] = vectors[k] ?? null));
  }
  return results;
}

export const embedTexts = defineFunction({
  schema: 'pgml',
  name: 'embed',
  params: {
    transformer: param('text', z.string().nullable()),
    inputs: param('text[]', z.array(z.string().nullable()).nullable()),
    kwargs: optionalParam('jsonb', z.unknown()),
  },
  returns: { kind: 'setof', type: 'real[]' },
  pure: true,
  async execute(args, ctx) {
    if (args.transformer === null || args.inputs === null || args.kwargs === null) return [];
    const options = embedOptions(args.kwargs);
    const present = args.inputs.filter((t): t is string => t !== null);
    const transformer = args.transformer;
    const vectors = await withStatementLimits(ctx, (signal) => ctx.services.embedder.embedBatch(transformer, present, options, signal));
    // A NULL element yields a NULL row, keeping the rows aligned with the inputs.
    let k = 0;
    return args.inputs.map((t) => (t === null ? null : vectors[k++]!));
  },
});
