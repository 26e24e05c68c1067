/**
 * What the composition root sets for pgml.train from its flags: the memory one training's data may
 * take (--fit-memory-mb, also each fit's heap bound), how often a long fit reports progress
 * (--train-progress-seconds) and how fast the training read may go while other sessions are active
 * (--train-read-mb-per-second).
 */
import { totalmem } from 'node:os';
import type { CallContext } from '../../functions/index.js';
import type { PaceSettings } from '../store/read-pacer.js';

export interface TrainingSettings {
  memoryMb: number;
  progressSeconds: number;
  /** MB (2^20 bytes) of rows per second the read may take while others are active; 0: unpaced. */
  readMbPerSecond: number;
}

/** The default of --train-read-mb-per-second (BENCHMARKS.md, "The training read paced while other sessions are active"). */
export const DEFAULT_READ_MB_PER_SECOND = 8;

/** How recently another session must have sent something for the read to be paced. */
const OTHERS_ACTIVE_WITHIN_MS = 1000;

let settings: TrainingSettings = {
  memoryMb: Math.max(256, Math.floor(totalmem() / 4 / (1024 * 1024))),
  progressSeconds: 10,
  readMbPerSecond: DEFAULT_READ_MB_PER_SECOND,
};

export function configureTraining(next: TrainingSettings): void {
  settings = { ...next };
}

export function trainingSettings(): TrainingSettings {
  return settings;
}

/** The training read's pace for a call: the configured budget, while the proxy's other sessions are active. */
export function trainingReadPace(ctx: Pick<CallContext, 'othersActive'>): PaceSettings | undefined {
  const othersActive = ctx.othersActive;
  if (othersActive === undefined || settings.readMbPerSecond <= 0) return undefined;
  return { bytesPerSecond: settings.readMbPerSecond * 1024 * 1024, othersActive: () => othersActive(OTHERS_ACTIVE_WITHIN_MS) };
}
