// Memory and CPU of building the training set (datasetFromMatrix: split, labels, the feature
// pipeline's statistics and encoding) from a 1M×30 float32 matrix, in a fresh process per build:
// the peak RSS over the RSS before (VmHWM, reset first), the CPU time, and a sha1 of the snapshot's
// columns JSON (the statistics), which must be equal between builds.
// Run: npm run build && node --import tsx bench/dataset-memory.ts [other build's dist/ ...]   (one JSON line per build)
// Env: BENCH_ROWS (1000000).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FEATURES = 30;

function statusKb(field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
}

async function measure(dist: string): Promise<Record<string, unknown>> {
  const { planDataset, datasetFromMatrix } = await import(`${dist}/pgml/preparation/dataset.js`);
  const { RawMatrixBuilder } = await import(`${dist}/pgml/preparation/raw-matrix.js`);
  const columns = [...Array.from({ length: FEATURES }, (_, j) => ({ name: `x${j}`, type: 'real' })), { name: 'label', type: 'boolean' }];
  const plan = planDataset({ task: 'classification', columns, yColumnNames: ['label'], preprocess: {} });
  const builder = new RawMatrixBuilder(plan.specs, ['label'], 2 ** 32, () => new Error('too large'));
  let s = 7;
  for (let r = 0; r < ROWS; r++) {
    builder.beginRow();
    for (let c = 0; c < FEATURES; c++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      builder.number(c, s / 2147483648 - 0.5);
    }
    builder.number(FEATURES, s & 1);
    builder.endRow();
  }
  const raw = builder.finish();
  writeFileSync('/proc/self/clear_refs', '5');
  const before = statusKb('VmRSS');
  const cpu = process.cpuUsage();
  const data = datasetFromMatrix(plan, raw, { testSize: 0.25, testSampling: 'last' });
  const used = process.cpuUsage(cpu);
  return {
    dist,
    peak_over_before_mb: Math.round((statusKb('VmHWM') - before) / 1024),
    cpu_ms: Math.round((used.user + used.system) / 1000),
    snapshot_columns_sha1: createHash('sha1').update(JSON.stringify(data.snapshotColumns)).digest('hex'),
  };
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measure(process.argv[3]!)));
} else {
  const dists = [fileURLToPath(new URL('../dist', import.meta.url)), ...process.argv.slice(2)];
  for (const dist of dists) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dist], { encoding: 'utf8' });
    process.stdout.write(`${JSON.stringify({ bench: 'dataset-memory', rows: ROWS, features: FEATURES, ...JSON.parse(out), load_average: loadavg().map((v) => Number(v.toPrecision(2))) })}\n`);
  }
}
