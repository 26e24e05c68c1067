/**
 * What the composition root sets for pgml.train from its flags: the memory one training's data may
 * take (--fit-memory-mb, also each fit's heap bound) and how often a long fit reports progress
 * (--train-progress-seconds).
 */
import { totalmem } from 'node:os';

export interface TrainingSettings {
  memoryMb: number;
  progressSeconds: number;
}

let settings: TrainingSettings = {
  memoryMb: Math.max(256, Math.floor(totalmem() / 4 / (1024 * 1024))),
  progressSeconds: 10,
};

export function configureTraining(next: TrainingSettings): void {
  settings = { ...next };
}

export function trainingSettings(): TrainingSettings {
  return settings;
}
