/** Starting a worker thread on one of the engines' modules (the pool's engine threads, a forest's tree threads). */
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { startThreadBeside } from '../thread-start.js';

/** `name` is the module's file name without extension, beside this one. */
export function startEngineThread(name: string, options: WorkerOptions = {}): Worker {
  return startThreadBeside(import.meta.url, name, options);
}
