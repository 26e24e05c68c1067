// OpenAI's stop texts: where one begins, and what streaming must hold back because the next tokens
// could complete a stop text there. The held-back part is checked against its definition (the
// longest end of the text that starts a stop text), computed here by brute force.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stopIndex, stopSafeLength } from '../../../../src/pgml/embeddings/stop-text.js';

/** The longest end of `text` that is the start of a stop text but not all of one, by trying every length. */
function heldBack(text: string, stops: readonly string[]): number {
  let held = 0;
  for (let k = 1; k <= text.length; k += 1) {
    const end = text.slice(text.length - k);
    if (stops.some((s) => s.length > k && s.startsWith(end))) held = k;
  }
  return held;
}

describe('stop texts', () => {
  it('finds the first stop text, whichever of them it is', () => {
    assert.equal(stopIndex('one two three', ['three', 'two']), 4);
    assert.equal(stopIndex('one two three', ['four']), undefined);
    assert.equal(stopIndex('', ['x']), undefined);
  });

  it('holds back only an end of the text that could begin a stop text', () => {
    assert.equal(stopSafeLength('Hello wo', ['world']), 6);
    assert.equal(stopSafeLength('Hello', ['world']), 5);
    assert.equal(stopSafeLength('Hello\n', ['\n\n', 'END']), 5);
    assert.equal(stopSafeLength('aaa', ['aab']), 1);
    assert.equal(stopSafeLength('xE', ['END', 'xEN']), 0);
  });

  it('agrees with the definition on every text of a small alphabet', () => {
    const alphabet = ['a', 'b', ' '];
    const stopSets = [['ab'], ['aab', 'b a'], ['a'], ['aba', 'ba b', ' ']];
    const texts = [''];
    for (let length = 1; length <= 5; length += 1) {
      for (const t of texts.filter((x) => x.length === length - 1)) for (const c of alphabet) texts.push(t + c);
    }
    for (const stops of stopSets) {
      for (const text of texts.filter((t) => stopIndex(t, stops) === undefined)) {
        assert.equal(stopSafeLength(text, stops), text.length - heldBack(text, stops), JSON.stringify({ text, stops }));
      }
    }
  });
});
