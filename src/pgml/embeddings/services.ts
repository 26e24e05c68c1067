/**
 * The embedding thread's client, one per proxy process, built by the composition root and reached
 * by every call through its context (`ctx.services.embedder`), not a module global.
 */
import type { Embedder } from './index.js';

declare module '../../functions/contract.js' {
  interface CallServices {
    embedder: Embedder;
  }
}
