/**
 * pgml.rank's cross-encoder on the embedding thread: sentence-transformers' CrossEncoder.rank,
 * which PostgresML calls. Each (query, document) pair is scored by a sequence-classification
 * model with one output, through a sigmoid (CrossEncoder's default activation for one label),
 * and the documents come back best first.
 */
import { AutoModelForSequenceClassification, AutoTokenizer, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { PgError, SqlState } from '../../errors/index.js';

const BATCH = 32;

export interface RankOptions {
  topK: number | undefined;
  returnDocuments: boolean;
  batchSize: number;
}

export interface Ranked {
  corpus_id: number;
  score: number;
  text: string | null;
}

const encoders = new Map<string, Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel }>>();

function load(dir: string) {
  let loading = encoders.get(dir);
  if (!loading) {
    loading = Promise.all([AutoTokenizer.from_pretrained(dir), AutoModelForSequenceClassification.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' })]).then(
      ([tokenizer, model]) => ({ tokenizer, model }),
    );
    encoders.set(dir, loading);
    loading.catch(() => encoders.delete(dir));
  }
  return loading;
}

export async function rank(dir: string, query: string, documents: readonly string[], options: RankOptions, checkpoint: () => void): Promise<Ranked[]> {
  const { tokenizer, model } = await load(dir);
  const scores: number[] = [];
  for (let start = 0; start < documents.length; start += options.batchSize) {
    checkpoint();
    const batch = documents.slice(start, start + options.batchSize);
    const encoded = tokenizer(batch.map(() => query), { text_pair: [...batch], padding: true, truncation: true }) as unknown as Record<string, Tensor>;
    const { logits } = (await model(encoded)) as { logits: Tensor };
    const [, labels] = logits.dims as [number, number];
    if (labels !== 1) {
      throw new PgError(SqlState.InvalidParameterValue, `pgml.rank: the model scores ${labels} labels per pair; a cross-encoder for ranking has one`);
    }
    for (const logit of logits.data as Float32Array) scores.push(1 / (1 + Math.exp(-logit)));
  }
  checkpoint();
  const ranked = scores.map((score, i) => ({ corpus_id: i, score, text: options.returnDocuments ? documents[i]! : null }));
  // Best first; equal scores keep the documents' order.
  ranked.sort((a, b) => b.score - a.score || a.corpus_id - b.corpus_id);
  return options.topK === undefined ? ranked : ranked.slice(0, options.topK);
}

/** CrossEncoder.rank's keyword arguments; those that only steer Python are accepted and ignored. */
export function rankOptions(kwargs: Record<string, unknown>): RankOptions {
  const ignored = ['show_progress_bar', 'convert_to_tensor', 'convert_to_numpy'];
  const unknown = Object.keys(kwargs).filter((k) => !['top_k', 'return_documents', 'batch_size', ...ignored].includes(k));
  if (unknown.length > 0) {
    throw new PgError(SqlState.InvalidParameterValue, `pgml.rank: unsupported kwargs ${unknown.join(', ')}`, {
      hint: `Accepted: top_k, return_documents, batch_size (${ignored.join(', ')} are ignored).`,
    });
  }
  const { top_k: topK, return_documents: returnDocuments = false, batch_size: batchSize = BATCH } = kwargs;
  if (topK !== undefined && topK !== null && !(Number.isInteger(topK) && (topK as number) > 0)) {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.rank: top_k must be a positive integer');
  }
  if (typeof returnDocuments !== 'boolean') throw new PgError(SqlState.InvalidParameterValue, 'pgml.rank: return_documents must be true or false');
  if (!Number.isInteger(batchSize) || (batchSize as number) < 1 || (batchSize as number) > 1024) {
    throw new PgError(SqlState.InvalidParameterValue, 'pgml.rank: batch_size must be an integer from 1 to 1024');
  }
  return { topK: (topK as number | null | undefined) ?? undefined, returnDocuments, batchSize: batchSize as number };
}
