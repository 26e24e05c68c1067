// The generation penalties against Python on the same logits (scripts/make-penalty-fixtures.py):
// OpenAI's frequency and presence penalties (PenaltiesProcessor) against their definition in torch,
// and Hugging Face's repetition_penalty (transformers.js's processor, which generate() uses)
// against transformers' RepetitionPenaltyLogitsProcessor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RepetitionPenaltyLogitsProcessor, Tensor } from '@huggingface/transformers';
import { PenaltiesProcessor } from '../../../../src/pgml/embeddings/penalties.js';

interface Case {
  input_ids: number[][];
  prompt_length: number;
  logits: number[][];
  frequency_penalty: number;
  presence_penalty: number;
  openai: number[][];
  repetition_penalty: number;
  huggingface: number[][];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/penalties.json'), 'utf8')) as { cases: Case[] };

function logitsOf(c: Case): Tensor {
  return new Tensor('float32', Float32Array.from(c.logits.flat()), [c.logits.length, c.logits[0]!.length]);
}

function assertRows(actual: Tensor, expected: number[][], what: string): void {
  const width = expected[0]!.length;
  const data = actual.data as Float32Array;
  expected.forEach((row, r) => row.forEach((x, j) => assert.ok(Math.abs(data[r * width + j]! - x) < 1e-5, `${what} [${r}][${j}]: ${data[r * width + j]} vs ${x}`)));
}

describe('generation penalties', () => {
  it("OpenAI's frequency and presence penalties count the generated tokens only, as defined", () => {
    assert.ok(fixture.cases.length >= 5);
    for (const [i, c] of fixture.cases.entries()) {
      const ids = c.input_ids.map((row) => row.map(BigInt));
      const processor = new PenaltiesProcessor(c.prompt_length, { frequency: c.frequency_penalty, presence: c.presence_penalty });
      assertRows(processor._call(ids, logitsOf(c)), c.openai, `case ${i}`);
    }
  });

  it("Hugging Face's repetition_penalty as transformers applies it", () => {
    for (const [i, c] of fixture.cases.entries()) {
      const ids = c.input_ids.map((row) => row.map(BigInt));
      assertRows(new RepetitionPenaltyLogitsProcessor(c.repetition_penalty)._call(ids, logitsOf(c)), c.huggingface, `case ${i}`);
    }
  });
});
