/**
 * A latency thread's single text straight on the model's onnxruntime-node session, without
 * transformers.js's model call around each run (its input checks, a Proxy-wrapped Tensor made for
 * every input and output, the inputs picked by name): the call's glue runs in series with the
 * client's wait (issue 16). The same session and the same feeds as transformers.js's encoder
 * forward gives it (input_ids, attention_mask of ones, token_type_ids, zeros when the tokenizer has
 * none), so the same bits; `of` takes only a one-session model whose inputs are among those, and
 * transformer.ts (takeDirectPath) runs one text both ways at load and keeps this path only when
 * they agree: a model whose forward is another keeps transformers.js's call.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';

/** What is used of an onnxruntime-common tensor (the session's inputs and outputs). */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** What is used of an onnxruntime-common InferenceSession. */
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches: readonly string[]): Promise<Record<string, OrtTensor>>;
}

type OrtTensorConstructor = new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensor;

/** The inputs a BERT-like encoder's session takes for one text; another input name keeps the wrapper. */
const INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

/** The same output transformer.ts pools (onnx-model.ts's tokenEmbeddings). */
const OUTPUTS = ['last_hidden_state', 'token_embeddings'];

export class SingleTextSession {
  /**
   * Attention masks (ones) and zero token types by token count: constant, never written, made
   * once per count a text has had (at most max_seq_length of each).
   */
  private readonly ones = new Map<number, OrtTensor>();
  private readonly zeros = new Map<number, OrtTensor>();
  /**
   * input_ids tensors by token count, their data rewritten by each run (no allocation, no Tensor
   * made per call); `running` keeps a second run under way at once (not the latency thread's
   * loop, which awaits each) on tensors of its own.
   */
  private readonly idTensors = new Map<number, { tensor: OrtTensor; data: BigInt64Array }>();
  private running = false;

  private constructor(
    private readonly session: OrtSession,
    private readonly OrtTensor: OrtTensorConstructor,
    private readonly output: string,
  ) {}

  /** The direct path for `model`'s session, or undefined when its inputs or outputs are not an encoder's. */
  static of(model: PreTrainedModel): SingleTextSession | undefined {
    const names = Object.keys(model.sessions);
    const session = model.sessions.model as (OrtSession & { outputNames: readonly string[] }) | undefined;
    if (names.length !== 1 || !session || !session.inputNames.every((name) => INPUTS.has(name)) || !session.inputNames.includes('input_ids')) return undefined;
    const output = OUTPUTS.find((name) => session.outputNames.includes(name));
    if (!output) return undefined;
    // onnxruntime-common's Tensor class, the one the session checks its feeds against: the one
    // transformers.js's Tensor wraps (it is not a dependency of this project of its own).
    const OrtTensor = (new Tensor('int64', new BigInt64Array(1), [1, 1]).ort_tensor as object).constructor as OrtTensorConstructor;
    return new SingleTextSession(session, OrtTensor, output);
  }

  /**
   * The per-token embeddings ([1, tokens, dims]) of one text's token ids and types, and the
   * attention mask fed with them (all ones: one text, no padding), for pooling.js's pool.
   */
  async run(ids: readonly number[], types: readonly number[] | undefined): Promise<{ hidden: OrtTensor; mask: OrtTensor }> {
    const n = ids.length;
    const dims = [1, n] as const;
    const shared = !this.running;
    let idTensor = shared ? this.idTensors.get(n) : undefined;
    if (!idTensor) {
      const data = new BigInt64Array(n);
      idTensor = { tensor: new this.OrtTensor('int64', data, dims), data };
      if (shared) this.idTensors.set(n, idTensor);
    }
    for (let t = 0; t < n; t += 1) idTensor.data[t] = BigInt(ids[t]!);
    const mask = this.constant(this.ones, n, 1n);
    const feeds: Record<string, OrtTensor> = {};
    for (const name of this.session.inputNames) {
      if (name === 'input_ids') feeds[name] = idTensor.tensor;
      else if (name === 'attention_mask') feeds[name] = mask;
      else feeds[name] = types && types.some((type) => type !== 0) ? new this.OrtTensor('int64', BigInt64Array.from(types, BigInt), dims) : this.constant(this.zeros, n, 0n);
    }
    if (shared) this.running = true;
    try {
      const outputs = await this.session.run(feeds, [this.output]);
      return { hidden: outputs[this.output]!, mask };
    } finally {
      if (shared) this.running = false;
    }
  }

  private constant(cache: Map<number, OrtTensor>, n: number, value: bigint): OrtTensor {
    let tensor = cache.get(n);
    if (!tensor) {
      tensor = new this.OrtTensor('int64', new BigInt64Array(n).fill(value), [1, n]);
      cache.set(n, tensor);
    }
    return tensor;
  }
}
