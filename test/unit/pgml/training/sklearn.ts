/**
 * Runs a Python snippet with scikit-learn as an oracle: `data` goes in as JSON on stdin (bound to
 * `data`), the snippet assigns `result`, which comes back as JSON. Tests that use it skip where
 * Python or scikit-learn is missing (install it with `pip install scikit-learn`).
 */
import { spawnSync } from 'node:child_process';

const probe = spawnSync('python3', ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
export const sklearnMissing: string | false =
  probe.status === 0 ? false : 'python3 with scikit-learn is not installed (pip install scikit-learn)';

export function sklearn<T>(snippet: string, data: unknown): T {
  const script = `import json, sys\nimport numpy as np\ndata = json.load(sys.stdin)\n${snippet}\nprint(json.dumps(result))`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(data), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
