/**
 * Character offsets of tokens in the text they came from, which Hugging Face's fast tokenizers
 * report (`return_offsets_mapping`) and transformers.js's do not. token-classification answers
 * carry each token's `start`/`end` and question-answering cuts its answer out of the context,
 * so both need them. Tokens are matched back onto the text piece by piece, comparing as the
 * tokenizer's normalizer does (case and accents folded); a token that cannot be placed fails
 * the call rather than answering with a wrong span.
 */
import { PgError, SqlState } from '../../errors/index.js';

export type Span = [start: number, end: number];

/** Word-piece continuation and byte-level / SentencePiece space markers carry no text of their own. */
const MARKERS = /^(##|Ġ|▁)/;

function fold(c: string): string {
  return c.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
}

/**
 * One span per token; `null` for tokens with no text (special tokens: pass null for them).
 * `unknown` is the tokenizer's unknown token, which stands for a whole word.
 */
export function tokenSpans(text: string, tokens: readonly (string | null)[], unknown: string | undefined): (Span | null)[] {
  let cursor = 0;
  const spans: (Span | null)[] = [];
  for (const token of tokens) {
    if (token === null) {
      spans.push(null);
      continue;
    }
    while (cursor < text.length && /\s/.test(text[cursor]!)) cursor += 1;
    const start = cursor;
    if (token === unknown) {
      while (cursor < text.length && !/[\s\p{P}]/u.test(text[cursor]!)) cursor += 1;
      if (cursor === start) cursor += 1;
      spans.push([start, cursor]);
      continue;
    }
    const piece = fold(token.replace(MARKERS, ''));
    let matched = '';
    while (matched.length < piece.length && cursor < text.length) {
      matched += fold(text[cursor]!);
      cursor += 1;
    }
    if (matched !== piece) {
      throw new PgError(SqlState.FeatureNotSupported, `cannot place token ${JSON.stringify(token)} in the input text to compute its offsets`, {
        hint: 'Character offsets are computed for WordPiece, byte-level BPE and SentencePiece tokenizers of plain text.',
      });
    }
    spans.push([start, cursor]);
  }
  return spans;
}

/**
 * question-answering's span choice (Hugging Face's QuestionAnsweringPipeline): probabilities
 * over the context's tokens and the first ([CLS]) position, whose probability is then zeroed,
 * and the span of at most `maxAnswerLength` tokens with the largest start × end probability.
 * `isContext` marks the context's tokens and position 0. Returns token indexes and the score.
 */
export function bestSpan(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  isContext: readonly boolean[],
  maxAnswerLength: number,
): { start: number; end: number; score: number } {
  const probabilities = (logits: ArrayLike<number>) => {
    const masked = isContext.map((inside, i) => (inside ? Number(logits[i]) : -10000));
    const max = Math.max(...masked);
    const exp = masked.map((x) => Math.exp(x - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const p = exp.map((x) => x / sum);
    p[0] = 0; // the [CLS] position stands for "no answer", which the pipeline only reports when asked
    return p;
  };
  const starts = probabilities(startLogits);
  const ends = probabilities(endLogits);
  let best = { start: 0, end: 0, score: -1 };
  for (let s = 0; s < starts.length; s += 1) {
    if (!isContext[s]) continue;
    for (let e = s; e < Math.min(ends.length, s + maxAnswerLength); e += 1) {
      if (!isContext[e]) continue;
      const score = starts[s]! * ends[e]!;
      if (score > best.score) best = { start: s, end: e, score };
    }
  }
  return best;
}
