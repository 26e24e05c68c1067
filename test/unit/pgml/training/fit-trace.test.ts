import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FitTraceLine } from '../../../../src/pgml/training/fit-trace.js';

// The trace's file is named by the environment when fit-trace.ts loads, in every engine thread: set before the
// modules are imported and the pool's threads start (they copy the environment then).
const dir = mkdtempSync(join(tmpdir(), 'pgml-fit-trace-'));
const tracePath = join(dir, 'fit-trace.jsonl');
process.env.PGML_FIT_TRACE = tracePath;
const { closePool } = await import('../../../../src/pgml/engines/pool.js');
const { ENGINE_THREAD_NICE } = await import('../../../../src/pgml/engines/thread-priority.js');
const { prepareAndFit } = await import('../../../../src/pgml/training/prepare.js');
const { toyDatasetJob } = await import('./toy-dataset.js');

after(async () => {
  await closePool();
  rmSync(dir, { recursive: true, force: true });
});

describe('PGML_FIT_TRACE', () => {
  it("appends one line per training's fit, from the engine thread, whose window holds the timed fit", async () => {
    const fitTimes: number[] = [];
    for (const algorithm of ['linear', 'ridge']) {
      const result = await prepareAndFit(
        { dataset: toyDatasetJob('regression', 0.1), algorithm, task: 'regression', hyperparams: {} },
        { dataset: () => undefined, progress: () => undefined },
        new AbortController().signal,
      );
      fitTimes.push(result.metrics.fit_time!);
    }
    const lines = readFileSync(tracePath, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as FitTraceLine);
    assert.equal(lines.length, 2);
    lines.forEach((line, i) => {
      // The clocks are read outside fit_time's window, so the trace's window holds it.
      assert.ok(line.fit_ms >= fitTimes[i]! * 1000, `${line.fit_ms} ms traced, fit_time ${fitTimes[i]} s`);
      assert.ok(Math.abs(line.end_epoch_ms - line.start_epoch_ms - line.fit_ms) < 1e-3);
      // One thread cannot use more CPU than the wall time it ran for (clock_gettime's thread clock).
      assert.ok(line.thread_cpu_ms > 0 && line.thread_cpu_ms <= line.fit_ms + 1e-3, JSON.stringify(line));
      assert.ok(line.run_delay_ms >= 0 && line.voluntary_switches >= 0 && line.involuntary_switches >= 0);
      assert.ok(Number.isInteger(line.minor_faults) && line.minor_faults >= 0, JSON.stringify(line));
      assert.equal(line.nice, process.platform === 'linux' ? ENGINE_THREAD_NICE : 0);
      assert.deepEqual(Object.keys(line.other_threads_by_kind_ms).sort(), ['engine', 'main', 'platform']);
      assert.ok(line.rows > 0 && line.cols > 0);
    });
    assert.ok(lines[1]!.start_epoch_ms >= lines[0]!.end_epoch_ms);
  });
});
