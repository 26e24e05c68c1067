// pgml.chunk's splitters against LangChain's Python splitters (what PostgresML runs), on the
// cases scripts/make-chunk-fixtures.py wrote, and against the definitions of size and overlap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitIntoChunks } from '../../../../src/pgml/embeddings/splitters.js';

interface Case {
  splitter: string;
  kwargs: Record<string, unknown>;
  text: string;
  chunks: string[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/chunk/expected.json'), 'utf8')) as { cases: Case[] };

describe('pgml.chunk splitters', () => {
  for (const c of fixture.cases) {
    it(`${c.splitter} ${JSON.stringify(c.kwargs)} gives Python's chunks`, async () => {
      assert.deepEqual(await splitIntoChunks(c.splitter, c.text, c.kwargs), c.chunks);
    });
  }

  it('keeps chunks within chunk_size and overlapping by at most chunk_overlap', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const chunks = await splitIntoChunks('recursive_character', text, { chunk_size: 50, chunk_overlap: 12 });
    assert.ok(chunks.length > 10);
    for (const chunk of chunks) assert.ok(chunk.length <= 50, chunk);
    for (let i = 1; i < chunks.length; i += 1) {
      const previous = chunks[i - 1]!.split(' ');
      const current = chunks[i]!.split(' ');
      const shared = previous.filter((w) => current.includes(w)).join(' ');
      assert.ok(shared.length <= 12, `overlap "${shared}"`);
      assert.ok(chunks[i]!.startsWith(shared), 'the overlap is the previous chunk\'s tail');
    }
    // Every word is in some chunk, in order.
    assert.equal([...new Set(chunks.flatMap((c) => c.split(' ')))].join(' '), text);
  });

  it('refuses nltk, spacy, unknown splitters and kwargs with SQLSTATEs', () => {
    const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
    assert.throws(() => splitIntoChunks('nltk', 'x', {}), code('0A000'));
    assert.throws(() => splitIntoChunks('spacy', 'x', {}), code('0A000'));
    assert.throws(() => splitIntoChunks('words', 'x', {}), code('22023'));
    assert.throws(() => splitIntoChunks('character', 'x', { chunk_size: 10, chunk_overlap: 20 }), code('22023'));
    assert.throws(() => splitIntoChunks('markdown', 'x', { separators: ['#'] }), code('22023'));
    assert.throws(() => splitIntoChunks('character', 'x', { is_separator_regex: true }), code('0A000'));
  });
});
