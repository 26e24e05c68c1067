import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { candidates } from '../../../../src/pgml/embeddings/sampling.js';

const scores = Float32Array.from([1, 3, 0, 2, -Infinity]);
const none = { temperature: 1, topK: 0, topP: 1 };

describe('sampling candidates (Hugging Face warpers)', () => {
  const logWeights = ({ ids, weights }: { ids: number[]; weights: number[] }) => Object.fromEntries(ids.map((id, i) => [id, Math.round(Math.log(weights[i]!) * 1e6) / 1e6]));

  it('keeps every possible token, weights as softmax numerators', () => {
    assert.deepEqual(logWeights(candidates(scores, none)), { 0: -2, 1: 0, 2: -3, 3: -1 });
  });

  it('temperature divides the scores before the softmax', () => {
    assert.deepEqual(logWeights(candidates(scores, { ...none, temperature: 0.5 })), { 0: -4, 1: 0, 2: -6, 3: -2 });
  });

  it('top_k keeps the k best, and ties with the k-th', () => {
    assert.deepEqual(candidates(scores, { ...none, topK: 2 }).ids, [1, 3]);
    assert.deepEqual(candidates(Float32Array.from([5, 4, 4, 1]), { ...none, topK: 2 }).ids, [0, 1, 2]);
  });

  it("top_p drops a token when the tokens scoring at most its score hold at most 1 - top_p (TopPLogitsWarper's rule)", () => {
    // Probabilities of [3, 2, 1, 0]: 0.644, 0.237, 0.087, 0.032; ascending sums 0.032, 0.119, 0.356, 1.
    const four = Float32Array.from([3, 2, 1, 0]);
    assert.deepEqual(candidates(four, { ...none, topP: 0.7 }).ids, [0, 1]); // 1 - 0.7 = 0.3: 0.032 and 0.119 go
    assert.deepEqual(candidates(four, { ...none, topP: 0.6 }).ids, [0]); // 0.356 <= 0.4 goes too
    assert.deepEqual(candidates(four, { ...none, topP: 0.9 }).ids, [0, 1, 2]);
    assert.deepEqual(candidates(four, { ...none, topP: 0.01 }).ids, [0], 'the best token always stays');
    assert.deepEqual(candidates(Float32Array.from([3, 2, 2, 0]), { ...none, topP: 0.7 }).ids, [0, 1, 2], 'ties with the last kept token stay');
    assert.deepEqual(candidates(Float32Array.from([3, 2, 1, 0]), { ...none, topK: 3, topP: 0.9 }).ids, [0, 1], 'top-p on what top-k kept (0.665, 0.245, 0.090)');
  });
});
