// Single texts through shared memory (latency-channel.ts, latency-thread.ts, the Embedder's routing):
// the same bits as the embedding thread's batch sessions, one request at a time, a thread that is
// gone, a canceled request, and what the channel cannot carry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgError, SqlState } from '../../../../src/errors/index.js';
import { Embedder } from '../../../../src/pgml/embeddings/index.js';
import { ChannelState, LatencyChannel, REQUEST_CAPACITY } from '../../../../src/pgml/embeddings/latency-channel.js';
import { LatencyThread } from '../../../../src/pgml/embeddings/latency-thread.js';
import { defaultSources } from '../../../../src/pgml/embeddings/sources.js';
import { TransformerModel } from '../../../../src/pgml/embeddings/transformer.js';

const MODELS = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'models');
const MODEL = 'pgml-test/tiny-bert';
const FIXTURE = join(MODELS, MODEL);
const sentences = (JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as { sentences: string[] }).sentences;

describe('LatencyChannel', () => {
  it('carries a vector of its dimensions, and falls back on a longer one', () => {
    const channel = LatencyChannel.allocate(4);
    assert.ok(channel.send({ text: 'a', options: {} }));
    assert.deepEqual(channel.waitForRequest(), { text: 'a', options: {} });
    channel.answer(new Float32Array([1, 2, 3, 4]));
    assert.equal(channel.state, ChannelState.Done);
    assert.deepEqual(channel.take(), new Float32Array([1, 2, 3, 4]));
    assert.equal(channel.state, ChannelState.Idle);
    assert.ok(channel.send({ text: 'b', options: { prompt: 'query: ' } }));
    assert.deepEqual(channel.waitForRequest(), { text: 'b', options: { prompt: 'query: ' } });
    channel.answer(new Float32Array(5));
    assert.equal(channel.state, ChannelState.Fallback);
    assert.equal(channel.take(), undefined);
  });

  it('refuses a request larger than its buffer, and sends nothing', () => {
    const channel = LatencyChannel.allocate(4);
    assert.equal(channel.send({ text: 'é'.repeat(REQUEST_CAPACITY / 2), options: {} }), false);
    assert.equal(channel.state, ChannelState.Idle);
    assert.ok(channel.send({ text: 'é'.repeat(REQUEST_CAPACITY / 2 - 100), options: {} }));
  });
});

describe('LatencyThread on the tiny BERT fixture', () => {
  let batches: TransformerModel;
  let expected: Float32Array[];
  before(async () => {
    batches = await TransformerModel.load(FIXTURE, { sessions: 1, threads: 1 });
    expected = await batches.embed(sentences, { batchSize: 3 });
  });
  after(() => batches.close());

  it('answers each text with the same bits as the batch sessions', async () => {
    const thread = await LatencyThread.start(FIXTURE);
    try {
      for (const [i, text] of sentences.entries()) assert.deepEqual(await thread.embed({ text, options: {} }), expected[i], `sentence ${i}`);
      const [prompted] = await batches.embed([sentences[0]!], { prompt: 'query: ', pooling: 'cls' });
      assert.deepEqual(await thread.embed({ text: sentences[0]!, options: { prompt: 'query: ', pooling: 'cls' } }), prompted);
    } finally {
      await thread.close();
    }
  });

  it('takes one request at a time, leaves what it cannot answer to the embedding thread, and stays usable', async () => {
    const thread = await LatencyThread.start(FIXTURE);
    try {
      const [first, second] = await Promise.all([thread.embed({ text: sentences[0]!, options: {} }), thread.embed({ text: sentences[1]!, options: {} })]);
      assert.deepEqual(first, expected[0]);
      assert.equal(second, undefined, 'a second request while one is out');
      assert.equal(await thread.embed({ text: 'x'.repeat(REQUEST_CAPACITY), options: {} }), undefined, 'a text too long for the channel');
      assert.equal(await thread.embed({ text: sentences[0]!, options: { promptName: 'no-such-prompt' } }), undefined, 'an error');
      assert.deepEqual(await thread.embed({ text: sentences[1]!, options: {} }), expected[1]);
    } finally {
      await thread.close();
    }
  });

  it('lets go a request whose thread is gone, and takes no more', async () => {
    const thread = await LatencyThread.start(FIXTURE);
    const out = thread.embed({ text: sentences[2]!, options: {} });
    await thread.close();
    const vector = await out;
    // The thread may have answered before it went; whatever it gave is the right vector.
    if (vector !== undefined) assert.deepEqual(vector, expected[2]);
    assert.equal(await thread.embed({ text: sentences[2]!, options: {} }), undefined);
  });

  it('fails to start on a model that is not there', async () => {
    await assert.rejects(LatencyThread.start(join(MODELS, 'pgml-test', 'no-such-model')));
  });

  it('reads no file while it answers: the weights read transformers.js starts is over before the first request', async () => {
    // The fixture's weights with a 16 MiB doc_string after them (ModelProto field 6, a protobuf
    // field may come last), so the file takes 256 reads of 64 KiB, as a real model's weights do.
    const dir = mkdtempSync(join(tmpdir(), 'pgml-latency-weights-'));
    try {
      cpSync(FIXTURE, dir, { recursive: true });
      const padding = 16 * 1024 * 1024;
      appendFileSync(join(dir, 'onnx', 'model.onnx'), Buffer.concat([Buffer.from([(6 << 3) | 2, 0x80, 0x80, 0x80, 0x08]), Buffer.alloc(padding, 0x61)]));
      const thread = await LatencyThread.start(dir);
      try {
        // The bytes this process reads (every thread's, /proc/self/io's rchar) over a few requests.
        const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
        const before = bytesRead();
        for (const [i, text] of sentences.slice(0, 4).entries()) assert.deepEqual(await thread.embed({ text, options: {} }), expected[i], `sentence ${i}`);
        const read = bytesRead() - before;
        // Before the fix, every request read one 64 KiB chunk of the weights.
        assert.ok(read < 64 * 1024, `${read} bytes read during 4 requests`);
      } finally {
        await thread.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Embedder: single texts on the latency thread', () => {
  let embedder: Embedder;
  let expected: number[][];
  before(async () => {
    embedder = new Embedder({ ...defaultSources(), modelsDir: MODELS, allowDownloads: false });
    expected = await embedder.embedBatch(MODEL, sentences);
    // The first single text starts the model's latency thread.
    await embedder.embedBatch(MODEL, [sentences[0]!]);
    while (embedder.latencyThreadTexts(MODEL) === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  after(() => embedder.close());

  it('gives the same numbers to concurrent single texts, on the latency thread or beside it', async () => {
    const before = embedder.latencyThreadTexts(MODEL)!;
    const answers = await Promise.all(sentences.map((s) => embedder.embedBatch(MODEL, [s])));
    assert.deepEqual(answers.map(([v]) => v), expected);
    assert.equal(embedder.latencyThreadTexts(MODEL), before + 1, 'the first went to the latency thread, the others beside it');
    const floats = await embedder.embedAsFloat32(MODEL, [sentences[1]!]);
    assert.deepEqual(floats.map((v) => Array.from(v)), [expected[1]]);
    assert.equal(embedder.latencyThreadTexts(MODEL), before + 2);
  });

  it('answers a canceled single text with 57014 at once, and the next one right', async () => {
    const controller = new AbortController();
    const canceled = embedder.embedBatch(MODEL, [sentences[3]!], {}, controller.signal);
    controller.abort(new PgError(SqlState.QueryCanceled, 'canceling statement due to user request'));
    await assert.rejects(canceled, (error: unknown) => error instanceof PgError && error.code === SqlState.QueryCanceled);
    // The canceled text's run finishes on the thread, which then takes the next.
    while (embedder.requestsRunning() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const before = embedder.latencyThreadTexts(MODEL)!;
    assert.deepEqual(await embedder.embedBatch(MODEL, [sentences[4]!]), [expected[4]]);
    assert.equal(embedder.latencyThreadTexts(MODEL), before + 1);
    while (embedder.requestsRunning() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('takes a session\'s signal for text after text: answers while it holds, 57014 once it aborts, and at once after', async () => {
    // One signal for many statements, as a session's (CallContext.signal) until a cancel spends it.
    const controller = new AbortController();
    for (const k of [0, 1, 2]) {
      const before = embedder.latencyThreadTexts(MODEL)!;
      assert.deepEqual(await embedder.embedBatch(MODEL, [sentences[k]!], {}, controller.signal), [expected[k]]);
      assert.equal(embedder.latencyThreadTexts(MODEL), before + 1, 'on the latency thread');
    }
    const canceled = embedder.embedBatch(MODEL, [sentences[3]!], {}, controller.signal);
    controller.abort(new PgError(SqlState.QueryCanceled, 'canceling statement due to user request'));
    await assert.rejects(canceled, (error: unknown) => error instanceof PgError && error.code === SqlState.QueryCanceled);
    while (embedder.requestsRunning() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const texts = embedder.latencyThreadTexts(MODEL)!;
    await assert.rejects(embedder.embedBatch(MODEL, [sentences[4]!], {}, controller.signal), (error: unknown) => error instanceof PgError && error.code === SqlState.QueryCanceled);
    assert.equal(embedder.latencyThreadTexts(MODEL), texts, 'an aborted signal sends nothing');
  });

  it('fails a single text under way when the embedder is closed, as the embedding thread\'s requests fail', async () => {
    const closing = new Embedder({ ...defaultSources(), modelsDir: MODELS, allowDownloads: false });
    await closing.embedBatch(MODEL, [sentences[0]!]);
    while (closing.latencyThreadTexts(MODEL) === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    // The thread may have answered before it was stopped; otherwise the request fails with 57P01.
    const underWay = closing.embedBatch(MODEL, [sentences[1]!]).then(
      ([vector]) => assert.deepEqual(vector, expected[1]),
      (error: unknown) => assert.ok(error instanceof PgError && error.code === SqlState.AdminShutdown, String(error)),
    );
    await closing.close();
    await underWay;
  });

  it('gives the embedding thread\'s error for what the latency thread cannot answer', async () => {
    await assert.rejects(embedder.embedBatch(MODEL, [sentences[0]!], { promptName: 'no-such-prompt' }), (error: unknown) => error instanceof PgError && error.code === SqlState.InvalidParameterValue);
  });
});
