import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generationOptions, taskSpecificParams } from '../../../../src/pgml/embeddings/generation.js';

/** A model directory holding only the JSON files generationOptions reads. */
function modelDir(config: object, generationConfig: object = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgml-generation-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig));
  return dir;
}

// T5's config.json, as published (task_specific_params abridged to two tasks).
const t5 = {
  task_specific_params: {
    summarization: { early_stopping: true, length_penalty: 2.0, max_length: 200, min_length: 30, no_repeat_ngram_size: 3, num_beams: 4, prefix: 'summarize: ' },
    translation_en_to_fr: { early_stopping: true, max_length: 300, num_beams: 4, prefix: 'translate English to French: ' },
  },
};
const never = () => false;

describe('generationOptions', () => {
  it("leaves the length to max_length unless max_new_tokens is given (transformers.js's pipelines default to 256 new tokens)", () => {
    const dir = modelDir({});
    assert.equal(generationOptions('text-generation', dir, {}, [], never).options.max_new_tokens, null);
    assert.equal(generationOptions('text-generation', dir, { max_length: 30 }, [], never).options.max_new_tokens, null);
    assert.equal(generationOptions('text-generation', dir, { max_new_tokens: 5 }, [], never).options.max_new_tokens, 5);
    assert.equal(generationOptions('text-generation', modelDir({}, { max_new_tokens: 7 }), {}, [], never).options.max_new_tokens, 7);
  });

  it("applies the model's task_specific_params as Python's pipeline does, under the caller's args", () => {
    const dir = modelDir(t5);
    assert.deepEqual(taskSpecificParams(dir, 'translation_en_to_fr').prefix, 'translate English to French: ');
    assert.deepEqual(taskSpecificParams(dir, 'translation_en_to_de'), { prefix: '', defaults: {} });
    // Python searches with 4 beams there: refused rather than answered greedily.
    assert.throws(() => generationOptions('summarization', dir, {}, [], never), (e: { code?: string }) => e.code === '0A000');
    const greedy = generationOptions('summarization', dir, { num_beams: 1 }, [], never).options;
    assert.equal(greedy.max_length, 200);
    assert.equal(greedy.min_length, 30);
    assert.equal(greedy.no_repeat_ngram_size, 3);
    assert.equal(greedy.early_stopping, undefined);
    assert.equal(generationOptions('translation', dir, { num_beams: 1, max_length: 40 }, [], never, false, 'translation_en_to_fr').options.max_length, 40);
  });
});
