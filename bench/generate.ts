// Text-generation tokens/s of pgml.transform's engine (transformers.js generate on the embedding
// thread's code path, runTask in src/pgml/embeddings/pipelines.ts, called in-process) on the tiny
// GPT-2 fixture, next to Python onnxruntime + tokenizers greedy decoding on the same ONNX graph
// with its key/value cache (bench/generate_baseline.py) in the same run. Both generate NEW_TOKENS
// tokens for each prompt, one prompt at a time; best of ROUNDS. Then time to first row through
// pgml.transform_stream: a proxy on embedded PGlite, a simple Query per prompt, the time from
// sending it to its first DataRow and to its ReadyForQuery (median over the prompts, best round).
// Run: npm run build && node --import tsx bench/generate.ts   (prints one JSON line)
// Env: BENCH_NEW_TOKENS (100), BENCH_ROUNDS (3), PYTHON (python3: needs numpy, onnxruntime, tokenizers).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execCapture } from '../test/support/exec.js';
import { REPO_ROOT, startProxy } from '../test/support/proxy.js';
import { RawConnection, queryMessage } from '../test/support/raw-wire.js';
import { percentile } from './predict-common.js';
import { runTask } from '../src/pgml/embeddings/pipelines.js';

const NEW_TOKENS = Number(process.env.BENCH_NEW_TOKENS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PYTHON = process.env.PYTHON ?? 'python3';
const DIR = join(REPO_ROOT, 'test', 'fixtures', 'models', 'pgml-test', 'tiny-gpt2');
const PROMPTS = ['The cat sat', 'Stock markets', 'The weather was hot and', 'Paris is the capital of', 'She loves her new car'];
/** transform_stream's prompts: the third above generates a NUL, which no jsonb row holds (22P05). */
const STREAM_PROMPTS = ['The cat sat', 'Stock markets', 'The dog sat on the rug', 'Paris is the capital of', 'She loves her new car'];

async function proxyRound(): Promise<{ seconds: number; text: string }> {
  const start = performance.now();
  const out = (await runTask({
    dir: DIR,
    spec: { task: 'text-generation' },
    inputs: PROMPTS,
    args: { max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS },
    checkpoint: () => {},
    isStopped: () => false,
  })) as { generated_text: string }[][];
  return { seconds: (performance.now() - start) / 1000, text: out[0]![0]!.generated_text };
}

await proxyRound(); // loads the pipeline
let proxy = { seconds: Infinity, text: '' };
for (let r = 0; r < ROUNDS; r += 1) {
  const round = await proxyRound();
  if (round.seconds < proxy.seconds) proxy = round;
}
const python = JSON.parse(
  (await execCapture(PYTHON, [join(REPO_ROOT, 'bench', 'generate_baseline.py'), DIR, JSON.stringify(PROMPTS), String(NEW_TOKENS), String(ROUNDS)])).stdout,
) as { seconds: number; tokens: number; onnxruntime: string; first_text: string };
/**
 * Per prompt: ms to the first streamed row (the prompt's words: PostgresML streams the prompt,
 * before any model step), to the second (the first with generated text) and to the end.
 */
async function streamRound(raw: RawConnection): Promise<{ first: number; second: number; whole: number }[]> {
  const out: { first: number; second: number; whole: number }[] = [];
  for (const prompt of STREAM_PROMPTS) {
    const args = JSON.stringify({ max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS });
    const start = performance.now();
    raw.write(queryMessage(`SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, '${args}'::jsonb, '${prompt}')`));
    const rows: number[] = [];
    for (let m = await raw.next(); m !== undefined && m.type !== 'Z'; m = await raw.next()) {
      if (m.type === 'E') throw new Error(`transform_stream failed: ${m.body.toString('utf8')}`);
      if (m.type === 'D') rows.push(performance.now() - start);
    }
    out.push({ first: rows[0]!, second: rows[1]!, whole: performance.now() - start });
  }
  return out;
}

const dataDir = mkdtempSync(join(tmpdir(), 'pgml-bench-generate-'));
const server = await startProxy({ dataDir, env: { PGML_MODELS_DIR: join(REPO_ROOT, 'test', 'fixtures', 'models') } });
let stream = { first: Infinity, second: Infinity, whole: Infinity };
try {
  const raw = await RawConnection.open(server.host, server.port);
  await raw.startup('postgres', 'postgres');
  await streamRound(raw); // loads the model
  for (let r = 0; r < ROUNDS; r += 1) {
    const round = await streamRound(raw);
    const median = (key: 'first' | 'second' | 'whole') => percentile(round.map((x) => x[key]).sort((a, b) => a - b), 50);
    if (median('second') < stream.second) stream = { first: median('first'), second: median('second'), whole: median('whole') };
  }
  raw.destroy();
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
const tokens = NEW_TOKENS * PROMPTS.length;
console.log(
  JSON.stringify({
    bench: 'generate',
    model: 'tiny-gpt2 fixture (2 layers, hidden 32)',
    prompts: PROMPTS.length,
    new_tokens_each: NEW_TOKENS,
    proxy_tokens_per_s: Math.round(tokens / proxy.seconds),
    python_tokens_per_s: Math.round(python.tokens / python.seconds),
    proxy_vs_python: Number((python.seconds / proxy.seconds).toFixed(2)),
    same_text: proxy.text === python.first_text,
    stream_first_row_ms_p50: Number(stream.first.toFixed(1)),
    stream_first_generated_row_ms_p50: Number(stream.second.toFixed(1)),
    stream_whole_ms_p50: Number(stream.whole.toFixed(1)),
    load_average: loadavg().map((x) => Number(x.toFixed(1))),
  }),
);
process.exit(0);
