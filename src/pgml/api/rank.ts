/**
 * pgml.rank(transformer, query, documents, kwargs) → (corpus_id, score, text): PostgresML's
 * re-ranking with a cross-encoder (sentence-transformers' CrossEncoder.rank), best first;
 * `text` is NULL unless kwargs has `"return_documents": true`. The model runs on the embedding
 * thread (embeddings/rank.ts).
 */
import { z } from 'zod';
import { withStatementLimits } from '../../functions/cancel.js';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import { rankOptions } from '../embeddings/index.js';
import { jsonObject } from './transform.js';

export const rank = defineFunction({
  schema: 'pgml',
  name: 'rank',
  params: {
    transformer: param('text', z.string().nullable()),
    query: param('text', z.string().nullable()),
    documents: param('text[]', z.array(z.string().nullable()).nullable()),
    kwargs: optionalParam('jsonb', z.unknown()),
  },
  returns: table({ corpus_id: 'bigint', score: 'double precision', text: 'text' }),
  pure: true,
  async execute(args, ctx) {
    if (args.transformer === null || args.query === null || args.documents === null || args.kwargs === null) return [];
    const options = rankOptions(jsonObject(args.kwargs, 'pgml.rank: kwargs'));
    const documents = args.documents;
    if (documents.some((d) => d === null)) throw new PgError(SqlState.NullValueNotAllowed, 'pgml.rank: documents must not contain NULL');
    const { transformer, query } = args;
    return withStatementLimits(ctx, (signal) => ctx.services.embedder.rankDocuments(transformer, query, documents as string[], options, signal, (m) => ctx.notice(m, 'NOTICE')));
  },
});
