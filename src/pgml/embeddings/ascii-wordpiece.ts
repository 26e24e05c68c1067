/**
 * A latency thread's tokenizing of a printable-ASCII text for a BERT-style tokenizer (BertNormalizer,
 * BertPreTokenizer, WordPiece), over a compact copy of the vocabulary. transformers.js's tokenizer
 * took 22-30 µs for a bench sentence in a warm loop but 150-220 µs on the latency thread, right after
 * an onnxruntime run had streamed the weights through the caches: a regular expression per
 * character (clean_text), a fresh string and a lookup in a 30,000-entry Map (strings spread over
 * the heap) per WordPiece candidate, the token strings looked up again for their ids (BENCHMARKS.md,
 * issue 16, embed9). Here a word's candidates are hashed from the text's char codes into one
 * Int32Array, compared against one Uint8Array of the vocabulary's bytes, and give the id directly.
 *
 * Same ids as the library, by construction and checked: only printable ASCII (where BertNormalizer
 * is at most a lowercasing and BertPreTokenizer splits at spaces and at each non-alphanumeric
 * character), no added token's content in the text (those are split out before the model), no
 * truncation (longer texts take the library's path); the special tokens around the text are read
 * off the library's own encodings, and `of` compares both on every printable character and a few
 * sentences before it is used. Anything else returns undefined: the library tokenizes it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One text's ids and token types, as transformer.ts's encode gives them (types: the model's tokenizer returns them). */
export interface AsciiEncoding {
  ids: number[];
  types: number[] | undefined;
}

/** The library's encoding of one text, without truncation: what `of` checks against. */
export type LibraryEncode = (text: string) => AsciiEncoding;

interface TokenizerJson {
  added_tokens?: { id: number; content: string }[];
  normalizer?: { type?: string; lowercase?: boolean } | null;
  pre_tokenizer?: { type?: string } | null;
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const SPACE = 0x20;

/** FNV-1a over char codes, continued from `hash`. */
function fnv(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}
const FNV_START = 0x811c9dc5 | 0;

function isAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

export class AsciiWordPiece {
  /**
   * Open addressing, two int32s a slot: the token's hash and its entry + 1 (0: empty). A candidate
   * not in the vocabulary, the usual WordPiece try, mostly costs this one cache line.
   */
  private readonly slots: Int32Array;
  /** Three int32s an entry: where its bytes start, how many, its id; one cache line for a hit. */
  private readonly entries: Int32Array;
  private readonly mask: number;
  private readonly prefixHash: number;

  private constructor(
    /** The vocabulary's printable-ASCII tokens, one after the other. */
    private readonly bytes: Uint8Array,
    starts: Int32Array,
    lengths: Int32Array,
    /** The id the library gives each token (an added token's id before the vocabulary's). */
    ids: Int32Array,
    private readonly prefix: string,
    private readonly unkId: number,
    private readonly maxChars: number,
    private readonly lowercase: boolean,
    /** Added tokens' contents, lowercased: a text holding one takes the library's path. */
    private readonly added: readonly string[],
    private readonly maxLength: number,
    private template: { before: number[]; after: number[]; typesBefore: number[] | undefined; typesAfter: number[] | undefined; type: number } | undefined,
  ) {
    let size = 1;
    while (size < starts.length * 2) size *= 2;
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    this.entries = new Int32Array(starts.length * 3);
    let h = FNV_START;
    for (let i = 0; i < prefix.length; i += 1) h = fnv(h, prefix.charCodeAt(i));
    this.prefixHash = h;
    for (let e = 0; e < starts.length; e += 1) {
      let hash = FNV_START;
      for (let i = starts[e]!; i < starts[e]! + lengths[e]!; i += 1) hash = fnv(hash, bytes[i]!);
      let slot = hash & this.mask;
      while (this.slots[slot * 2 + 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot * 2] = hash;
      this.slots[slot * 2 + 1] = e + 1;
      this.entries.set([starts[e]!, lengths[e]!, ids[e]!], e * 3);
    }
  }

  /**
   * The fast path for the model in `dir`, or undefined where its tokenizer is not one it
   * reproduces: another normalizer, pre-tokenizer or model, or any difference from `library` on
   * the probes (every printable character, between letters and alone, and a few sentences).
   */
  static of(dir: string, library: LibraryEncode, maxLength: number, unusual: boolean): AsciiWordPiece | undefined {
    let json: TokenizerJson;
    try {
      json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
    } catch {
      return undefined;
    }
    const { normalizer, pre_tokenizer: pre, model } = json;
    if (unusual || (normalizer && normalizer.type !== 'BertNormalizer') || pre?.type !== 'BertPreTokenizer' || model?.type !== 'WordPiece' || !model.vocab || model.unk_token === undefined) return undefined;
    const addedIds = new Map((json.added_tokens ?? []).map((t) => [t.content, t.id]));
    const vocab = Object.entries(model.vocab).filter(([token]) => PRINTABLE_ASCII.test(token));
    const bytes = new Uint8Array(vocab.reduce((sum, [token]) => sum + token.length, 0));
    const starts = new Int32Array(vocab.length);
    const lengths = new Int32Array(vocab.length);
    const ids = new Int32Array(vocab.length);
    let at = 0;
    vocab.forEach(([token, id], e) => {
      starts[e] = at;
      lengths[e] = token.length;
      ids[e] = addedIds.get(token) ?? id;
      for (let i = 0; i < token.length; i += 1) bytes[at++] = token.charCodeAt(i);
    });
    const unkId = addedIds.get(model.unk_token) ?? model.vocab[model.unk_token];
    if (unkId === undefined) return undefined;
    const fast = new AsciiWordPiece(
      bytes,
      starts,
      lengths,
      ids,
      model.continuing_subword_prefix ?? '##',
      unkId,
      model.max_input_chars_per_word ?? 100,
      normalizer?.lowercase ?? false,
      [...addedIds.keys()].map((content) => content.toLowerCase()),
      maxLength,
      undefined,
    );
    return fast.learnTemplate(library) && fast.agrees(library) ? fast : undefined;
  }

  /** The text's ids and types, or undefined: the library's path takes it. */
  encode(text: string): AsciiEncoding | undefined {
    const template = this.template;
    if (!template || !PRINTABLE_ASCII.test(text)) return undefined;
    const normalized = this.lowercase ? text.toLowerCase() : text;
    const lower = this.lowercase ? normalized : text.toLowerCase();
    for (const content of this.added) if (lower.includes(content)) return undefined;
    const ids = [...template.before];
    const n = normalized.length;
    for (let i = 0; i < n; ) {
      const code = normalized.charCodeAt(i);
      if (code === SPACE) {
        i += 1;
      } else if (!isAlphanumeric(code)) {
        this.word(normalized, i, i + 1, ids);
        i += 1;
      } else {
        let end = i + 1;
        while (end < n && isAlphanumeric(normalized.charCodeAt(end))) end += 1;
        this.word(normalized, i, end, ids);
        i = end;
      }
    }
    const middle = ids.length - template.before.length;
    ids.push(...template.after);
    if (ids.length > this.maxLength) return undefined;
    const types = template.typesBefore ? [...template.typesBefore, ...new Array<number>(middle).fill(template.type), ...template.typesAfter!] : undefined;
    return { ids, types };
  }

  /** WordPiece on text[start, end): the longest vocabulary token first, then the rest with the prefix. */
  private word(text: string, start: number, end: number, out: number[]): void {
    if (end - start > this.maxChars) {
      out.push(this.unkId);
      return;
    }
    const first = out.length;
    for (let from = start; from < end; ) {
      let to = end;
      let id = -1;
      for (; from < to; to -= 1) {
        id = this.lookup(text, from, to, from > start);
        if (id >= 0) break;
      }
      if (id < 0) {
        out.length = first;
        out.push(this.unkId);
        return;
      }
      out.push(id);
      from = to;
    }
  }

  /** The id of text[from, to) (after the prefix when `continuing`), or -1. */
  private lookup(text: string, from: number, to: number, continuing: boolean): number {
    const prefix = continuing ? this.prefix : '';
    let hash = continuing ? this.prefixHash : FNV_START;
    for (let i = from; i < to; i += 1) hash = fnv(hash, text.charCodeAt(i));
    const length = prefix.length + to - from;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot * 2 + 1]! - 1;
      if (entry < 0) return -1;
      if (this.slots[slot * 2] !== hash || this.entries[entry * 3 + 1] !== length) continue;
      const at = this.entries[entry * 3]!;
      let same = true;
      for (let i = 0; i < prefix.length && same; i += 1) same = this.bytes[at + i] === prefix.charCodeAt(i);
      for (let i = from; i < to && same; i += 1) same = this.bytes[at + prefix.length + i - from] === text.charCodeAt(i);
      if (same) return this.entries[entry * 3 + 2]!;
    }
  }

  /** The special tokens the library puts before and after a text, and their types, from its encodings of two probes. */
  private learnTemplate(library: LibraryEncode): boolean {
    const probes = ['a', 'b 1 c'];
    const middles = probes.map((p) => {
      const ids: number[] = [];
      for (const word of p.split(' ')) this.word(word, 0, word.length, ids);
      return ids;
    });
    const encodings = probes.map(library);
    const [one, two] = encodings as [AsciiEncoding, AsciiEncoding];
    const extra = one.ids.length - middles[0]!.length;
    if (extra < 0 || two.ids.length - middles[1]!.length !== extra) return false;
    for (let before = 0; before <= extra; before += 1) {
      const after = extra - before;
      const template = {
        before: one.ids.slice(0, before),
        after: one.ids.slice(one.ids.length - after),
        typesBefore: one.types?.slice(0, before),
        typesAfter: one.types?.slice(one.types.length - after),
        type: one.types?.[before] ?? 0,
      };
      this.template = template;
      if (encodings.every((encoding, i) => same(this.encode(probes[i]!), encoding))) return true;
    }
    this.template = undefined;
    return false;
  }

  /** Every printable character alone, between letters and after a word, and sentences: the same ids and types as the library. */
  private agrees(library: LibraryEncode): boolean {
    const texts = ['', '   ', 'The quick brown fox, jumps over the lazy dog.', 'Naive cafe costs $3.50 (twice)!', 'unaffable antidisestablishmentarianism x'.repeat(3)];
    for (let code = 0x20; code <= 0x7e; code += 1) {
      const c = String.fromCharCode(code);
      texts.push(c, `a${c}b`, `word${c}${c}ing ${c}`);
    }
    return texts.every((text) => {
      const fast = this.encode(text);
      return fast === undefined || same(fast, library(text));
    });
  }
}

function same(a: AsciiEncoding | undefined, b: AsciiEncoding): boolean {
  if (!a || a.ids.length !== b.ids.length || a.ids.some((id, i) => id !== b.ids[i])) return false;
  if ((a.types === undefined) !== (b.types === undefined)) return false;
  return !a.types || a.types.every((t, i) => t === b.types![i]);
}
