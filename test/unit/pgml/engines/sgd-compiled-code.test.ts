import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const FIXTURE = fileURLToPath(new URL('./fixtures/sgd-compiled-code.ts', import.meta.url));
const ROWS_FIXTURE = fileURLToPath(new URL('./fixtures/sgd-rows-compiled-code.ts', import.meta.url));
const LOOPS = /<SharedFunctionInfo (l2Epochs|unpenalizedEpochs|passiveAggressiveEpochs|gradientEpochs|denseDot)>/;

/**
 * V8's own account (--trace-opt, --trace-deopt; compiles made synchronous, so the order is fixed) of the SGD loops
 * before and after what happens to an engine thread between its warm-up and a user's fit.
 */
function trace(mode: string, fixture = FIXTURE, end = '--- collected and detached'): { before: string[]; after: string[] } {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', '--trace-opt', '--trace-deopt', '--no-concurrent-recompilation', fixture, mode],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  const fitted = lines.indexOf('--- fitted');
  const done = lines.findIndex((line) => line.startsWith(end));
  assert.ok(fitted > 0 && done > fitted, run.stdout.slice(-2000));
  return { before: lines.slice(0, fitted), after: lines.slice(fitted + 1, done) };
}

describe("the SGD family's optimized loops outlive the fits that compiled them", () => {
  it('a collection and a detached buffer after the warm-up discard none of them, on a thread that gave up the protector first', () => {
    const { before, after } = trace('detach-first');
    assert.ok(before.some((line) => line.startsWith('[completed compiling') && line.includes('<JSFunction l2Epochs')), 'the fits optimized l2Epochs');
    // A class instance per fit (the stopping rule was one) made the collection discard them ("weak objects"); the
    // protector made the detach discard them ("code dependencies").
    assert.deepEqual(after.filter((line) => line.startsWith('[marking dependent code') && LOOPS.test(line)), []);
  });

  it("without the protector given up first, the first detached buffer discards them (V8's behaviour the engine threads avoid)", () => {
    const { after } = trace('');
    assert.ok(after.some((line) => line.includes('<SharedFunctionInfo l2Epochs>') && line.includes('reason: code dependencies')), after.join('\n'));
  });

  it("the nonzero entries' loops survive another algorithm's object literals with a number under `start`", () => {
    const { before, after } = trace('', ROWS_FIXTURE, '--- another fit');
    assert.ok(before.some((line) => line.startsWith('[completed compiling') && line.includes('<JSFunction nonzeroEntries')), 'the calls optimized nonzeroEntries');
    // sparseRows held the loops and built `{ start, columns, values }`: hist_gradient_boosting's `{ start: n, ... }`
    // generalized the field, and its code was discarded ("code dependencies"), loops and all.
    assert.deepEqual(after.filter((line) => line.startsWith('[marking dependent code') && /<SharedFunctionInfo (sparseRows|nonzeroEntries)>/.test(line)), []);
  });
});
