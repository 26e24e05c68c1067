// Closing each kind of thread that runs onnxruntime while it runs: the latency thread, the second
// inference thread, the embedding thread. Worker.terminate() under onnxruntime-node's synchronous
// run aborted the whole process ("FATAL ERROR: Error::Error napi_define_properties"), within a few
// rounds; the threads now exit by themselves between runs (src/pgml/thread-stop.ts). Many rounds,
// each closing a few milliseconds after the work was handed over, so some close in a run.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgError, SqlState } from '../../../../src/errors/index.js';
import { Embedder } from '../../../../src/pgml/embeddings/index.js';
import { LatencyThread } from '../../../../src/pgml/embeddings/latency-thread.js';
import { defaultSources } from '../../../../src/pgml/embeddings/sources.js';
import { TransformerModel } from '../../../../src/pgml/embeddings/transformer.js';

const MODELS = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'models');
const MODEL = 'pgml-test/tiny-bert';
const FIXTURE = join(MODELS, MODEL);
const sentences = (JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as { sentences: string[] }).sentences;
/** Texts of many tokens (the fixture's 64 at most), so a run lasts long enough to be closed under. */
const long = (i: number) => `${sentences[i % sentences.length]} `.repeat(1 + (i % 7));
const texts = Array.from({ length: 96 }, (_, i) => long(i));
const ROUNDS = 20;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isShutdown = (error: unknown) => error instanceof PgError && error.code === SqlState.AdminShutdown;

describe('closing a thread while it runs onnxruntime', () => {
  let expected: Float32Array[];
  before(async () => {
    const one = await TransformerModel.load(FIXTURE, { sessions: 1, threads: 1 });
    expected = await one.embed(texts, { batchSize: 8 });
  });

  it('the latency thread answers the text under way, then exits, round after round', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const thread = await LatencyThread.start(FIXTURE);
      const out = thread.embed({ text: texts[i]!, options: {} });
      await pause(i % 3);
      assert.equal(await thread.close(), 0, `round ${i}: the thread exited by itself`);
      assert.deepEqual(await out, expected[i], `round ${i}`);
      assert.equal(await thread.embed({ text: texts[i]!, options: {} }), undefined, `round ${i}: no request after close`);
    }
  });

  it('the second inference thread exits between its batches, round after round', async () => {
    for (let i = 0; i < ROUNDS / 2; i++) {
      const model = await TransformerModel.load(FIXTURE, { sessions: 2, threads: 1 });
      const out = model.embed(texts, { batchSize: 8 }).then(
        (vectors) => assert.deepEqual(vectors, expected, `round ${i}`),
        // A batch the thread had not answered fails the request: the model is being closed.
        (error: unknown) => assert.match(String(error), /the second inference thread exited with code 0/, `round ${i}`),
      );
      await pause(i % 3);
      await model.close();
      await out;
    }
  });

  it('the embedding thread stops its inference threads and exits; a single text under way gets its answer or 57P01', async () => {
    for (let i = 0; i < ROUNDS / 4; i++) {
      const embedder = new Embedder({ ...defaultSources(), modelsDir: MODELS, allowDownloads: false });
      // Loads the model on the embedding thread (and its inference thread), then starts the latency thread.
      await embedder.embedBatch(MODEL, sentences);
      await embedder.embedBatch(MODEL, [sentences[0]!]);
      while (embedder.latencyThreadTexts(MODEL) === undefined) await pause(20);
      // Outcomes checked as they come: close() fails the batch at once.
      const batch = assert.rejects(embedder.embedBatch(MODEL, texts, { batchSize: 8 }), isShutdown, `round ${i}: the batch`);
      const single = embedder.embedBatch(MODEL, [texts[i]!]).then(
        ([vector]) => assert.deepEqual(vector, Array.from(expected[i]!), `round ${i}: the single text`),
        (error: unknown) => assert.ok(isShutdown(error), `round ${i}: ${String(error)}`),
      );
      await pause(i % 3);
      await embedder.close();
      await Promise.all([batch, single]);
    }
  });
});
