/**
 * Starting a worker thread on one of this folder's modules (the embedding thread, the second
 * inference thread). Compiled output runs the module's .js file directly. Under tsx (tests, dev)
 * the modules are .ts files, and Node 20 workers do not get the `--import tsx` loader hooks for
 * their entry module, so a tiny bootstrap registers tsx in the worker before importing the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name` is the module's file name without extension, beside this one. */
export function startThread(name: string, options: WorkerOptions = {}): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
