/**
 * pgml.chunk(splitter, text, kwargs) → (chunk_index, chunk): PostgresML's text splitting for
 * retrieval pipelines, numbered from 1 as PostgresML numbers them. Strict like PostgresML's (a
 * NULL argument gives no rows). Splitting runs on the embedding thread (splitters.ts).
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import { jsonObject } from './transform.js';

export const chunk = defineFunction({
  schema: 'pgml',
  name: 'chunk',
  params: {
    splitter: param('text', z.string().nullable()),
    text: param('text', z.string().nullable()),
    kwargs: optionalParam('jsonb', z.unknown()),
  },
  returns: table({ chunk_index: 'bigint', chunk: 'text' }),
  pure: true,
  async execute(args, ctx) {
    if (args.splitter === null || args.text === null || args.kwargs === null) return [];
    const kwargs = jsonObject(args.kwargs, 'pgml.chunk: kwargs');
    const { splitter, text } = args;
    const chunks = await withStatementLimits(ctx, (signal) => ctx.services.embedder.chunkText(splitter, text, kwargs, signal));
    return chunks.map((chunk, i) => ({ chunk_index: i + 1, chunk }));
  },
});
