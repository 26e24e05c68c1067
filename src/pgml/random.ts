/**
 * The seeded pseudo-random numbers training draws from to split rows, search hyperparameters and
 * initialise engines: one generator, so a seed means the same sequence everywhere.
 */

/** mulberry32's increment: its k-th draw mixes seed + k · this (mod 2³²). */
const STEP = 0x6d2b79f5;

/** mulberry32's output for the counter `state` (a uint32). */
function mix(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** mulberry32: tiny, fast and good enough for shuffling and initialisation; seeded so runs are repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + STEP) >>> 0;
    return mix(state);
  };
}

/**
 * The k-th draw (from 1) of seededRandom(seed), without the generator: mulberry32 is a counter, so a loop that
 * draws in order can index its draws instead of calling a closure for each (affinity_propagation's n² noise).
 */
export function seededDraw(seed: number, k: number): number {
  return mix(((seed >>> 0) + Math.imul(k, STEP)) >>> 0);
}

/** Fisher–Yates in place; returns the same array. */
export function shuffle<T extends { length: number; [index: number]: unknown }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i];
    items[i] = items[j];
    items[j] = swap;
  }
  return items;
}
