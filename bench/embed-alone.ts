// The latency thread's work without the proxy around it (issue 16), for bench/embed-threads.ts:
// the same texts on the same ONNX file in this process, one call at a time, three ways, alternating:
//   loop     TransformerModel.loadForSingleTexts's embed, back to back (tokenizer, the session, pooling:
//            what latency-worker.ts runs for a request);
//   paced    the same with the thread asleep in Atomics.wait for BENCH_PAUSE_MS before each call, as the
//            latency thread sleeps while the client and the proxy's main thread do their part: onnxruntime's
//            threads stop spinning at each run's end and the cores may go idle;
//   session  a bare onnxruntime-node session with the latency session's options on token ids made
//            beforehand (onnxruntime alone).
// Per call: p50 of the call alone, this thread's CPU and its wait on a run queue, the CPU of the
// process's other threads (onnxruntime's pool thread), and this thread's sleeps. CPU time, counts.
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { DEFAULT_LATENCY_SPIN_US, latencySessionOptions } from '../src/pgml/embeddings/spinning.js';
import { TransformerModel } from '../src/pgml/embeddings/transformer.js';
import { percentile } from './predict-common.js';

/** [CPU ns, run-queue wait ns, voluntary switches] of each thread of this process, by thread id. */
function threads(): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const sleeps = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/self/task/${tid}/status`, 'utf8'))![1]);
      out.set(tid, [cpu!, wait!, sleeps]);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return out;
}

export async function embedAlone(dir: string, texts: readonly string[], rounds: number, pauseMs: number): Promise<void> {
  const model = await TransformerModel.loadForSingleTexts(dir);
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { executionProviders: ['cpu'], ...latencySessionOptions(DEFAULT_LATENCY_SPIN_US) });
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  const feeds = texts.map((text) => {
    const encoded = tokenizer(text, { truncation: true, max_length: 256 }) as unknown as Record<string, { data: BigInt64Array; dims: number[] }>;
    return Object.fromEntries(session.inputNames.map((name) => [name, new ort.Tensor('int64', encoded[name]!.data, encoded[name]!.dims)]));
  });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const ways: Record<string, (i: number) => Promise<unknown>> = {
    loop: (i) => model.embed([texts[i]!], {}),
    paced: (i) => model.embed([texts[i]!], {}),
    session: (i) => session.run(feeds[i]!),
  };
  for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) for (const run of Object.values(ways)) await run(i); // warm-up
  const self = String(process.pid);
  for (let round = 1; round <= rounds; round += 1) {
    for (const [way, run] of Object.entries(ways)) {
      const walls: number[] = [];
      const before = threads();
      for (let i = 0; i < texts.length; i += 1) {
        if (way === 'paced') Atomics.wait(pause, 0, 0, pauseMs);
        const start = performance.now();
        await run(i);
        walls.push(performance.now() - start);
      }
      const after = threads();
      const perCall = (tid: string, k: 0 | 1 | 2) => ((after.get(tid)?.[k] ?? 0) - (before.get(tid)?.[k] ?? 0)) / texts.length;
      const others = [...after.keys()].filter((tid) => tid !== self).reduce((n, tid) => n + perCall(tid, 0), 0);
      walls.sort((a, b) => a - b);
      process.stdout.write(
        `${JSON.stringify({
          bench: 'embed-alone',
          way,
          round,
          calls: texts.length,
          p50_ms: +percentile(walls, 50).toFixed(3),
          thread_cpu_ms_per_call: +(perCall(self, 0) / 1e6).toFixed(3),
          thread_runqueue_ms_per_call: +(perCall(self, 1) / 1e6).toFixed(3),
          thread_sleeps_per_call: +perCall(self, 2).toFixed(2),
          other_threads_cpu_ms_per_call: +(others / 1e6).toFixed(3),
          ...(way === 'paced' ? { pause_ms: pauseMs } : {}),
          load_average: loadavg().map((x) => +x.toFixed(1)),
        })}\n`,
      );
    }
  }
  await session.release();
  await model.close();
}
