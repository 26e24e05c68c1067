/**
 * Small predictions of one model, gathered over a turn of the event loop and predicted in-thread
 * together. A native booster's call has a fixed cost well above its cost per row (inline.ts: 100
 * trees, 48.7 µs for one row, 91.6 µs for 16), so when several clients ask at once, predicting
 * their rows in one call saves most of it. A prediction is not run where it is asked for but at
 * the next `setImmediate`, after Node has handled every socket that was readable in the same turn
 * (a lone client waits a few microseconds for it). Each turn predicts at most `maxRows` rows in
 * one call, the measured in-thread bound; what is left waits for the following turn, so other
 * I/O runs between the steps.
 *
 * This replaces sending small predictions to the worker pool while the event loop is busy: a lone
 * client's tight loop kept the loop over half busy, so most of its predictions paid the pool's
 * round trip (CPU profile: postMessage 6% of the main thread, in-thread predictions 1.7%), and at
 * 8 clients the pool's messages cost the main thread more than in-thread calls of the merged rows
 * (BENCHMARKS.md, "Predictions of one turn together").
 */
/** What predicts a batch: an engine, or the queue of a model's small in-thread predictions. */
export interface Predicting {
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  predictProba?: ((x: Float32Array, rows: number) => Promise<Float32Array>) | undefined;
}

type Op = 'predict' | 'predictProba';

interface Waiting {
  x: Float32Array;
  rows: number;
  resolve(out: Float32Array): void;
  reject(error: unknown): void;
}

export class InlineQueue {
  private readonly waiting: Record<Op, Waiting[]> = { predict: [], predictProba: [] };
  private scheduled = false;

  constructor(
    private readonly engine: Predicting,
    readonly maxRows: number,
  ) {}

  predict(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.enqueue('predict', x, rows);
  }

  /** Undefined when the model gives no class probabilities (as Engine.predictProba). */
  get predictProba(): ((x: Float32Array, rows: number) => Promise<Float32Array>) | undefined {
    return this.engine.predictProba === undefined ? undefined : (x, rows) => this.enqueue('predictProba', x, rows);
  }

  private enqueue(op: Op, x: Float32Array, rows: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.waiting[op].push({ x, rows, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.step();
    });
  }

  /** One engine call: the oldest waiting predictions of one kind, up to maxRows rows. */
  private step(): void {
    const op: Op = this.waiting.predict.length > 0 ? 'predict' : 'predictProba';
    const queue = this.waiting[op];
    let rows = 0;
    let taken = 0;
    while (taken < queue.length && (taken === 0 || rows + queue[taken]!.rows <= this.maxRows)) rows += queue[taken++]!.rows;
    const members = queue.splice(0, taken);
    if (this.waiting.predict.length + this.waiting.predictProba.length > 0) this.schedule();
    if (members.length === 0) return;
    const x = members.length === 1 ? members[0]!.x : concat(members);
    const run = op === 'predict' ? this.engine.predict(x, rows) : this.engine.predictProba!(x, rows);
    run.then(
      (out) => {
        if (members.length === 1) return members[0]!.resolve(out);
        const width = rows === 0 ? 0 : out.length / rows;
        let row = 0;
        for (const m of members) {
          m.resolve(out.slice(row * width, (row + m.rows) * width));
          row += m.rows;
        }
      },
      (error: unknown) => {
        for (const m of members) m.reject(error);
      },
    );
  }
}

function concat(members: readonly Waiting[]): Float32Array {
  const x = new Float32Array(members.reduce((n, m) => n + m.x.length, 0));
  let at = 0;
  for (const m of members) {
    x.set(m.x, at);
    at += m.x.length;
  }
  return x;
}
