/**
 * pgml.chunk(splitter, text, kwargs) → (chunk_index, chunk): PostgresML's text splitting for
 * retrieval pipelines, numbered from 1 as PostgresML numbers them. Strict like PostgresML's (a
 * NULL argument gives no rows). Splitting runs on the embedding thread (splitters.ts); over a
 * table, the rows sharing a splitter and kwargs go there in one request, as pgml.embed's do.
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, table, type ArgsOf } from '../../functions/index.js';
import type { Embedder } from '../embeddings/index.js';
import { jsonObject } from './transform.js';

const params = {
  splitter: param('text', z.string().nullable()),
  text: param('text', z.string().nullable()),
  kwargs: optionalParam('jsonb', z.unknown()),
};
type ChunkArgs = ArgsOf<typeof params>;
type ChunkRow = { chunk_index: number; chunk: string };

export const chunk = defineFunction({
  schema: 'pgml',
  name: 'chunk',
  params,
  returns: table({ chunk_index: 'bigint', chunk: 'text' }),
  pure: true,
  async execute(args, ctx) {
    const [rows] = await withStatementLimits(ctx, (signal) => chunkRows(ctx.services.embedder, [args], signal));
    return rows;
  },
  executeBatch: (calls, ctx) => withStatementLimits(ctx, (signal) => chunkRows(ctx.services.embedder, calls, signal)),
});

/** Each call's rows, in order: one embedding-thread request per splitter and kwargs. */
async function chunkRows(embedder: Embedder, calls: readonly ChunkArgs[], signal: AbortSignal): Promise<ChunkRow[][]> {
  const results: ChunkRow[][] = calls.map(() => []);
  const groups = new Map<string, { splitter: string; kwargs: Record<string, unknown>; indexes: number[]; texts: string[] }>();
  calls.forEach((call, i) => {
    if (call.splitter === null || call.text === null || call.kwargs === null) return;
    const kwargs = jsonObject(call.kwargs, 'pgml.chunk: kwargs');
    const key = JSON.stringify([call.splitter, kwargs]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { splitter: call.splitter, kwargs, indexes: [], texts: [] }));
    group.indexes.push(i);
    group.texts.push(call.text);
  });
  for (const group of groups.values()) {
    const chunks = await embedder.chunkTexts(group.splitter, group.texts, group.kwargs, signal);
    group.indexes.forEach((row, k) => (results[row] = (chunks[k] ?? []).map((chunk, j) => ({ chunk_index: j + 1, chunk }))));
  }
  return results;
}
