// Text-generation tokens/s of pgml.transform's engine (transformers.js generate on the embedding
// thread's code path, runTask in src/pgml/embeddings/pipelines.ts, called in-process) on the tiny
// GPT-2 fixture, next to Python onnxruntime + tokenizers greedy decoding on the same ONNX graph
// with its key/value cache (bench/generate_baseline.py) in the same run. Both generate NEW_TOKENS
// tokens for each prompt, one prompt at a time; best of ROUNDS.
// Run: node --import tsx bench/generate.ts   (prints one JSON line)
// Env: BENCH_NEW_TOKENS (100), BENCH_ROUNDS (3), PYTHON (python3: needs numpy, onnxruntime, tokenizers).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execCapture } from '../test/support/exec.js';
import { REPO_ROOT } from '../test/support/proxy.js';
import { runTask } from '../src/pgml/embeddings/pipelines.js';

const NEW_TOKENS = Number(process.env.BENCH_NEW_TOKENS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PYTHON = process.env.PYTHON ?? 'python3';
const DIR = join(REPO_ROOT, 'test', 'fixtures', 'models', 'pgml-test', 'tiny-gpt2');
const PROMPTS = ['The cat sat', 'Stock markets', 'The weather was hot and', 'Paris is the capital of', 'She loves her new car'];

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
    load_average: loadavg().map((x) => Number(x.toFixed(1))),
  }),
);
process.exit(0);
