/**
 * Sampling for generate(), done here rather than by transformers.js (4.3): its sampler draws
 * from one random state shared by every request on the thread, so a `seed` could not make one
 * request repeatable, and it accepts `top_p` but never applies it. This logits processor, put
 * last, warps each row's scores as Hugging Face's samplers do (temperature, then top-k, then
 * top-p), draws one token with the request's own Mersenne Twister and leaves only that token
 * possible, so transformers.js's greedy step takes it.
 */
import { LogitsProcessor, random, type Tensor } from '@huggingface/transformers';

export interface Sampling {
  temperature: number;
  /** 0: no top-k cut. */
  topK: number;
  /** 1: no top-p cut. */
  topP: number;
  /** undefined: seeded from the OS's entropy. */
  seed: number | undefined;
}

export class SamplingProcessor extends LogitsProcessor {
  private readonly rng: InstanceType<typeof random.Random>;

  constructor(private readonly sampling: Sampling) {
    super();
    this.rng = new random.Random(sampling.seed === undefined ? undefined : Math.abs(sampling.seed));
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const rows = logits as unknown as Record<number, Tensor>;
    for (let row = 0; row < inputIds.length; row += 1) {
      const scores = rows[row]!.data as Float32Array;
      const chosen = this.draw(scores);
      scores.fill(-Infinity);
      scores[chosen] = 0;
    }
    return logits;
  }

  private draw(scores: Float32Array): number {
    const { ids, weights } = candidates(scores, this.sampling);
    let x = this.rng.random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < ids.length; i += 1) {
      x -= weights[i]!;
      if (x < 0) return ids[i]!;
    }
    return ids[ids.length - 1]!;
  }
}

/**
 * The tokens left after Hugging Face's TemperatureLogitsWarper, TopKLogitsWarper and
 * TopPLogitsWarper (a token goes when the probabilities of the tokens scoring below it, itself
 * included, add up to at most 1 - top_p; the best always stays), with unnormalized
 * probabilities, in id order; tokens tied with the last one kept stay too.
 */
export function candidates(scores: Float32Array, sampling: Omit<Sampling, 'seed'>): { ids: number[]; weights: number[] } {
  let floor = -Infinity;
  let best = -Infinity;
  for (const score of scores) if (score > best) best = score;
  best /= sampling.temperature;
  const cut = sampling.topK > 0 || sampling.topP < 1;
  if (cut) {
    // The cut as a score, found on a sorted copy: a numeric sort of a typed array costs far less
    // than ordering a vocabulary's token ids by score at every step.
    const sorted = Float32Array.from(scores).sort().reverse();
    let possible = sorted.indexOf(-Infinity);
    if (possible === -1) possible = sorted.length;
    if (sampling.topK > 0 && sampling.topK < possible) {
      floor = sorted[sampling.topK - 1]!;
      while (possible > 0 && sorted[possible - 1]! < floor) possible -= 1;
    }
    if (sampling.topP < 1) {
      let total = 0;
      for (let i = 0; i < possible; i += 1) total += Math.exp(sorted[i]! / sampling.temperature - best);
      let above = 0;
      let keep = 0;
      while (keep < possible && (keep === 0 || above < sampling.topP)) {
        above += Math.exp(sorted[keep]! / sampling.temperature - best) / total;
        keep += 1;
      }
      floor = Math.max(floor, sorted[keep - 1]!);
    }
  }
  const ids: number[] = [];
  for (let i = 0; i < scores.length; i += 1) if (scores[i]! > -Infinity && scores[i]! >= floor) ids.push(i);
  return { ids, weights: ids.map((id) => Math.exp(scores[id]! / sampling.temperature - best)) };
}
