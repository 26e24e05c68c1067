/**
 * OpenAI's `frequency_penalty` and `presence_penalty`, as its API reference defines them:
 * `mu[j] -= c[j] * frequency_penalty + (c[j] > 0) * presence_penalty`, where c[j] is how often
 * token j was generated so far in this completion (the prompt does not count), applied to the
 * logits before any sampling or greedy choice. Hugging Face's `repetition_penalty` is another
 * thing (it scales the logits of every token seen, the prompt's too): transformers.js has it.
 */
import { LogitsProcessor, type Tensor } from '@huggingface/transformers';

export interface Penalties {
  frequency: number;
  presence: number;
}

/** `scores` less each generated token's penalty. */
function penalize(scores: Float32Array, generated: readonly number[], penalties: Penalties): void {
  const counts = new Map<number, number>();
  for (const id of generated) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) scores[id] = scores[id]! - count * penalties.frequency - penalties.presence;
}

export class PenaltiesProcessor extends LogitsProcessor {
  /** `promptLength`: the ids each row starts with that are the prompt's. */
  constructor(
    private readonly promptLength: number,
    private readonly penalties: Penalties,
  ) {
    super();
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const rows = logits as unknown as Record<number, Tensor>;
    inputIds.forEach((ids, row) => penalize(rows[row]!.data as Float32Array, ids.slice(this.promptLength).map(Number), this.penalties));
    return logits;
  }
}
