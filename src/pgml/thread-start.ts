/**
 * Starting a worker thread on a module beside another (the pool's engine threads, a forest's tree
 * threads, the embedding and inference threads). Compiled output runs the module's .js file directly.
 * Under tsx (tests, dev) the modules are .ts files, and Node 20 workers do not get the `--import tsx`
 * loader hooks for their entry module, so a tiny bootstrap registers tsx in the worker before
 * importing the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name` is the module's file name without extension, in the folder of `besideUrl` (an import.meta.url). */
export function startThreadBeside(besideUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!besideUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, besideUrl), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, besideUrl).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
