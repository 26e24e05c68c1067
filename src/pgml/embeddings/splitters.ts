/**
 * pgml.chunk's splitters. PostgresML calls LangChain's Python text splitters by name with the
 * kwargs as given (`SPLITTERS[name](**kwargs).split_text(text)`); this is their algorithm
 * (langchain_text_splitters 1.1: `_split_text_with_regex`, `_merge_splits`, the recursive
 * `_split_text`) with Python's defaults and the separator lists of the Markdown, LaTeX and
 * Python splitters, which those classes match literally. LangChain's JavaScript package was
 * tried first and gives other chunks: it counts separators out of the overlap and has other
 * separator lists (test/fixtures/chunk/expected.json shows both). nltk and spacy split by
 * sentence models that do not run here: they are refused.
 */
import { PgError, SqlState } from '../../errors/index.js';

const SEPARATORS = {
  recursive_character: ['\n\n', '\n', ' ', ''],
  python: ['\nclass ', '\ndef ', '\n\tdef ', '\n\n', '\n', ' ', ''],
  markdown: ['\n#{1,6} ', '```\n', '\n\\*\\*\\*+\n', '\n---+\n', '\n___+\n', '\n\n', '\n', ' ', ''],
  latex: [
    '\n\\\\chapter{',
    '\n\\\\section{',
    '\n\\\\subsection{',
    '\n\\\\subsubsection{',
    '\n\\\\begin{enumerate}',
    '\n\\\\begin{itemize}',
    '\n\\\\begin{description}',
    '\n\\\\begin{list}',
    '\n\\\\begin{quote}',
    '\n\\\\begin{quotation}',
    '\n\\\\begin{verse}',
    '\n\\\\begin{verbatim}',
    '\n\\\\begin{align}',
    '$$',
    '$',
    ' ',
    '',
  ],
} as const;

export const SPLITTERS = ['recursive_character', 'character', 'latex', 'markdown', 'python'] as const;
const REFUSED = ['nltk', 'spacy'];

interface Options {
  chunkSize: number;
  chunkOverlap: number;
  keepSeparator: boolean;
  stripWhitespace: boolean;
}

function invalid(message: string, hint?: string): PgError {
  return new PgError(SqlState.InvalidParameterValue, `pgml.chunk: ${message}`, { hint });
}

function integer(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value)) throw invalid(`${name} must be an integer`);
  return value as number;
}

function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
  return value;
}

/** Splits on `separator` (literal text); kept separators start the piece that follows them. */
function splitOn(text: string, separator: string, keepSeparator: boolean): string[] {
  if (separator === '') return [...text];
  const parts = text.split(separator);
  const splits = keepSeparator ? parts.map((p, i) => (i === 0 ? p : separator + p)) : parts;
  return splits.filter((s) => s !== '');
}

function joinDocs(docs: readonly string[], separator: string, options: Options): string | null {
  const text = docs.join(separator);
  const result = options.stripWhitespace ? text.trim() : text;
  return result === '' ? null : result;
}

/** Python's _merge_splits: pieces joined up to chunk_size, each chunk starting with at most chunk_overlap of the last. */
function mergeSplits(splits: readonly string[], separator: string, options: Options): string[] {
  const separatorLength = separator.length;
  const docs: string[] = [];
  let current: string[] = [];
  let total = 0;
  for (const piece of splits) {
    const length = piece.length;
    if (total + length + (current.length > 0 ? separatorLength : 0) > options.chunkSize) {
      if (current.length > 0) {
        const doc = joinDocs(current, separator, options);
        if (doc !== null) docs.push(doc);
        while (total > options.chunkOverlap || (total + length + (current.length > 0 ? separatorLength : 0) > options.chunkSize && total > 0)) {
          total -= current[0]!.length + (current.length > 1 ? separatorLength : 0);
          current = current.slice(1);
        }
      }
    }
    current.push(piece);
    total += length + (current.length > 1 ? separatorLength : 0);
  }
  const doc = joinDocs(current, separator, options);
  if (doc !== null) docs.push(doc);
  return docs;
}

/** Python's RecursiveCharacterTextSplitter._split_text. */
function splitRecursively(text: string, separators: readonly string[], options: Options): string[] {
  let separator = separators[separators.length - 1]!;
  let rest: readonly string[] = [];
  for (let i = 0; i < separators.length; i += 1) {
    const s = separators[i]!;
    if (s === '') {
      separator = s;
      break;
    }
    if (text.includes(s)) {
      separator = s;
      rest = separators.slice(i + 1);
      break;
    }
  }
  const chunks: string[] = [];
  let good: string[] = [];
  const joiner = options.keepSeparator ? '' : separator;
  for (const piece of splitOn(text, separator, options.keepSeparator)) {
    if (piece.length < options.chunkSize) {
      good.push(piece);
      continue;
    }
    if (good.length > 0) {
      chunks.push(...mergeSplits(good, joiner, options));
      good = [];
    }
    if (rest.length === 0) chunks.push(piece);
    else chunks.push(...splitRecursively(piece, rest, options));
  }
  if (good.length > 0) chunks.push(...mergeSplits(good, joiner, options));
  return chunks;
}

/** The chunks of `text`, as PostgresML's splitter `name` with `kwargs` gives them. */
export function splitIntoChunks(name: string, text: string, kwargs: Record<string, unknown>): string[] {
  if (REFUSED.includes(name)) {
    throw new PgError(SqlState.FeatureNotSupported, `pgml.chunk: the ${name} splitter is not available in pgml-proxy`, {
      hint: `It splits by ${name}'s sentence models, which do not run here. Use recursive_character (paragraphs, lines, words), markdown, latex, python or character.`,
    });
  }
  if (!(SPLITTERS as readonly string[]).includes(name)) {
    throw invalid(`unknown splitter "${name}"`, `Splitters: ${[...SPLITTERS, ...REFUSED].join(', ')}.`);
  }
  const own = name === 'character' ? ['separator'] : name === 'recursive_character' ? ['separators'] : [];
  const accepted = ['chunk_size', 'chunk_overlap', 'keep_separator', 'strip_whitespace', 'is_separator_regex', 'add_start_index', ...own];
  const unknown = Object.keys(kwargs).filter((k) => !accepted.includes(k));
  if (unknown.length > 0) throw invalid(`unsupported kwargs for ${name}: ${unknown.join(', ')}`, `Accepted: ${accepted.join(', ')}.`);
  if (kwargs.is_separator_regex === true) {
    throw new PgError(SqlState.FeatureNotSupported, 'pgml.chunk: is_separator_regex is not supported; separators are matched as literal text');
  }
  if (kwargs.keep_separator === 'end') throw new PgError(SqlState.FeatureNotSupported, 'pgml.chunk: keep_separator "end" is not supported');
  const options: Options = {
    chunkSize: integer(kwargs.chunk_size, 'chunk_size', 4000),
    chunkOverlap: integer(kwargs.chunk_overlap, 'chunk_overlap', 200),
    keepSeparator: kwargs.keep_separator === 'start' ? true : boolean(kwargs.keep_separator, 'keep_separator', name !== 'character'),
    stripWhitespace: boolean(kwargs.strip_whitespace, 'strip_whitespace', true),
  };
  // Python's TextSplitter checks these in its constructor (ValueError).
  if (options.chunkSize <= 0) throw invalid(`chunk_size must be > 0, got ${options.chunkSize}`);
  if (options.chunkOverlap < 0) throw invalid(`chunk_overlap must be >= 0, got ${options.chunkOverlap}`);
  if (options.chunkOverlap > options.chunkSize) {
    throw invalid(`got a larger chunk overlap (${options.chunkOverlap}) than chunk size (${options.chunkSize}), should be smaller`);
  }

  if (name === 'character') {
    const separator = kwargs.separator ?? '\n\n';
    if (typeof separator !== 'string') throw invalid('separator must be a string');
    return mergeSplits(splitOn(text, separator, options.keepSeparator), options.keepSeparator ? '' : separator, options);
  }
  const separators = name === 'recursive_character' ? (kwargs.separators ?? SEPARATORS.recursive_character) : SEPARATORS[name as keyof typeof SEPARATORS];
  if (!Array.isArray(separators) || separators.length === 0 || !separators.every((s) => typeof s === 'string')) {
    throw invalid('separators must be a non-empty array of strings');
  }
  return splitRecursively(text, separators as string[], options);
}
