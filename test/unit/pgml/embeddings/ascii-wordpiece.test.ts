// The latency thread's tokenizing of printable-ASCII texts (ascii-wordpiece.ts) against
// transformers.js's tokenizer on the same tokenizer.json: the same ids and token types for every
// text it takes, random texts over every printable character, words in and out of the vocabulary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { AsciiWordPiece, type AsciiEncoding } from '../../../../src/pgml/embeddings/ascii-wordpiece.js';
import { seededRandom } from '../../../../src/pgml/random.js';

const MODELS = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'models', 'pgml-test');

async function libraryOf(dir: string): Promise<(text: string) => AsciiEncoding> {
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  return (text) => {
    const encoded = tokenizer([text], { return_tensor: false }) as unknown as { input_ids: number[][]; token_type_ids?: number[][] };
    return { ids: encoded.input_ids[0]!, types: encoded.token_type_ids?.[0] };
  };
}

function randomTexts(count: number, words: readonly string[]): string[] {
  // Seeded, so a failure can be replayed.
  const random = seededRandom(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
  const pieces = [
    () => pick(words),
    () => pick(words).toUpperCase(),
    () => pick(words) + pick(words),
    () => pick(printable),
    () => ' '.repeat(1 + Math.floor(random() * 3)),
    () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(printable)).join(''),
    () => 'x'.repeat(95 + Math.floor(random() * 10)),
    () => pick(['[CLS]', '[sep]', '[MASK]', '[UNK]', 'MASK', '##', '#']),
  ];
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(random() * 16) }, () => pick(pieces)()).join(pick(['', ' '])));
}

describe('AsciiWordPiece', () => {
  for (const name of ['tiny-bert', 'tiny-bert-ner', 'tiny-cross-encoder']) {
    it(`gives transformers.js's ids and types on ${name}'s tokenizer, or leaves the text to it`, async () => {
      const dir = join(MODELS, name);
      const library = await libraryOf(dir);
      const fast = AsciiWordPiece.of(dir, library, 10_000, false);
      assert.ok(fast, 'a BERT tokenizer takes the fast path');
      const vocab = Object.keys((await import(join(dir, 'tokenizer.json'), { with: { type: 'json' } })).default.model.vocab as Record<string, number>);
      const words = [...vocab.map((w) => w.replace(/^##/, '')), 'unaffable', 'running', 'The', 'playing'];
      let taken = 0;
      for (const text of randomTexts(3000, words)) {
        const mine = fast.encode(text);
        if (mine === undefined) continue;
        taken += 1;
        assert.deepEqual(mine, library(text), JSON.stringify(text));
      }
      assert.ok(taken > 1200, `${taken} of 3000 texts taken (the others hold an added token or are too long)`);
      assert.equal(fast.encode('naïve'), undefined, 'not ASCII');
      assert.equal(fast.encode('a\tb'), undefined, 'a control character');
      assert.equal(fast.encode('a [MASK] b'), undefined, 'an added token');
    });
  }

  it('leaves a text longer than max_seq_length to the library (truncation), and takes no other tokenizer', async () => {
    const dir = join(MODELS, 'tiny-bert');
    const library = await libraryOf(dir);
    const fast = AsciiWordPiece.of(dir, library, 8, false)!;
    assert.equal(library('a b c d e f').ids.length, 8);
    assert.deepEqual(fast.encode('a b c d e f'), library('a b c d e f'));
    assert.equal(fast.encode('a b c d e f g'), undefined);
    assert.equal(AsciiWordPiece.of(dir, library, 8, true), undefined, 'remove_space or lowercase-and-remove-accent');
    assert.equal(AsciiWordPiece.of(join(MODELS, 'tiny-gpt2'), await libraryOf(join(MODELS, 'tiny-gpt2')), 512, false), undefined, 'byte-level BPE');
    assert.equal(AsciiWordPiece.of(dir, (text) => ({ ...library(text), ids: library(text).ids.map((id) => (id === 20 ? 21 : id)) }), 512, false), undefined, 'a library that disagrees');
  });
});
