/**
 * libsvm's kernels and Q matrices as scikit-learn's fork defines them (sklearn/svm/src/libsvm/svm.cpp,
 * dense representation): `Kernel` (training kernel with x_square for rbf), `Kernel::k_function`
 * (prediction kernel, rbf from the squared differences), `Cache` (LRU columns), `SVC_Q` and `SVR_Q`.
 * Q is stored as float32 (libsvm's Qfloat) and the diagonal QD as double, so every arithmetic step
 * sees the values libsvm sees.
 */

export type KernelType = 'linear' | 'poly' | 'rbf' | 'sigmoid';

export interface KernelParams {
  kernel: KernelType;
  degree: number;
  gamma: number;
  coef0: number;
}

/** libsvm's powi: base^times by squaring, in libsvm's multiplication order. */
export function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1.0;
  for (let t = times; t > 0; t = Math.trunc(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

function dot(x: Float64Array, a: number, y: Float64Array, b: number, dim: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) sum += x[a + k]! * y[b + k]!;
  return sum;
}

/** Kernel::k_function: one kernel value between a row of `x` and a row of `y` (prediction). */
export function kFunction(params: KernelParams, x: Float64Array, a: number, y: Float64Array, b: number, dim: number): number {
  switch (params.kernel) {
    case 'linear':
      return dot(x, a, y, b, dim);
    case 'poly':
      return powi(params.gamma * dot(x, a, y, b, dim) + params.coef0, params.degree);
    case 'rbf': {
      let sum = 0;
      for (let k = 0; k < dim; k++) {
        const d = x[a + k]! - y[b + k]!;
        sum += d * d;
      }
      return Math.exp(-params.gamma * sum);
    }
    case 'sigmoid':
      return Math.tanh(params.gamma * dot(x, a, y, b, dim) + params.coef0);
  }
}

/**
 * The kernel values of one training, shared by its binary problems: K(a, b) between training rows a
 * and b, float32 (what Q keeps of them), 0 until computed. A one-vs-one machine's rows meet again in
 * every other machine of their classes, and K is symmetric to the bit (the same products summed in the
 * same order), so each value is computed once and written to both of its places. (A value that is 0
 * is computed again whenever it is asked for: the same 0, without filling the store first.) Used only
 * when all rows² values fit in the kernel cache's budget (cache_size); libsvm's column cache gets the rest.
 */
export class KernelStore {
  readonly values: Float32Array;

  constructor(readonly rows: number) {
    this.values = new Float32Array(rows * rows);
  }

  /** A store for `rows` training rows when its rows² float32 values fit in `bytes`, else undefined. */
  static within(rows: number, bytes: number): KernelStore | undefined {
    return rows * rows * 4 <= bytes ? new KernelStore(rows) : undefined;
  }
}

/**
 * Kernel: the training kernel between positions i and j of a problem over some rows of `x`. `order`
 * plays the role of libsvm's swapped x pointers: position → row of `x` (the problem's rows, then
 * swapped by the solver). With a store, values are looked up by those rows before being computed.
 */
export class Kernel {
  private readonly order: Int32Array;
  private readonly xSquare?: Float64Array;
  /** Positions of a column whose values are not in the store. */
  private readonly pending: Int32Array;
  /** The features where the column's row is not zero. */
  private readonly terms: Int32Array;
  readonly value: (i: number, j: number) => number;

  constructor(
    private readonly x: Float64Array, rows: Int32Array, private readonly dim: number, private readonly params: KernelParams,
    private readonly store?: KernelStore,
  ) {
    const l = rows.length;
    this.order = Int32Array.from(rows);
    this.pending = new Int32Array(l);
    this.terms = new Int32Array(dim);
    const { gamma, coef0, degree } = params;
    const rowDot = (i: number, j: number) => dot(x, this.order[i]! * dim, x, this.order[j]! * dim, dim);
    switch (params.kernel) {
      case 'linear':
        this.value = rowDot;
        break;
      case 'poly':
        this.value = (i, j) => powi(gamma * rowDot(i, j) + coef0, degree);
        break;
      case 'rbf': {
        const xSquare = new Float64Array(l);
        for (let i = 0; i < l; i++) xSquare[i] = rowDot(i, i);
        this.xSquare = xSquare;
        this.value = (i, j) => Math.exp(-gamma * (xSquare[i]! + xSquare[j]! - 2 * rowDot(i, j)));
        break;
      }
      case 'sigmoid':
        this.value = (i, j) => Math.tanh(gamma * rowDot(i, j) + coef0);
        break;
    }
  }

  /**
   * value(i, j) for j in [start, end), into out[start, end): the same doubles, or their float32
   * rounding where the store had them (all that Q keeps).
   */
  column(i: number, start: number, end: number, out: Float64Array): void {
    const { order, store, pending } = this;
    let count = 0;
    if (store) {
      const { values } = store;
      const base = order[i]! * store.rows;
      for (let j = start; j < end; j++) {
        const v = values[base + order[j]!]!;
        if (v !== 0) out[j] = v;
        else pending[count++] = j;
      }
    } else {
      for (let j = start; j < end; j++) pending[count++] = j;
    }
    this.compute(i, count, out);
    if (!store) return;
    const { values, rows } = store;
    const a = order[i]!;
    for (let t = 0; t < count; t++) {
      const j = pending[t]!;
      const b = order[j]!;
      values[a * rows + b] = out[j]!;
      values[b * rows + a] = out[j]!;
    }
  }

  /**
   * value(i, j) for the first `count` positions j of `pending`: the dot products of four rows at a
   * time so that their additions' latency overlaps, then the kernel. Each dot product adds the terms
   * where row i's feature is not zero, in dot's order: the same double as dot's, since a skipped term
   * is ±0 and adding ±0 leaves a running sum that started at +0 unchanged (it is never −0).
   */
  private compute(i: number, count: number, out: Float64Array): void {
    const { x, dim, order, pending, terms } = this;
    const a = order[i]! * dim;
    let m = 0;
    for (let k = 0; k < dim; k++) if (x[a + k] !== 0) terms[m++] = k;
    let t = 0;
    for (; t + 3 < count; t += 4) {
      const b0 = order[pending[t]!]! * dim;
      const b1 = order[pending[t + 1]!]! * dim;
      const b2 = order[pending[t + 2]!]! * dim;
      const b3 = order[pending[t + 3]!]! * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      if (m === dim) {
        // no zeros (breast_cancer, diabetes): the plain loop, without the index's loads
        for (let k = 0; k < dim; k++) {
          const xa = x[a + k]!;
          s0 += xa * x[b0 + k]!;
          s1 += xa * x[b1 + k]!;
          s2 += xa * x[b2 + k]!;
          s3 += xa * x[b3 + k]!;
        }
      } else {
        for (let u = 0; u < m; u++) {
          const k = terms[u]!;
          const xa = x[a + k]!;
          s0 += xa * x[b0 + k]!;
          s1 += xa * x[b1 + k]!;
          s2 += xa * x[b2 + k]!;
          s3 += xa * x[b3 + k]!;
        }
      }
      out[pending[t]!] = s0;
      out[pending[t + 1]!] = s1;
      out[pending[t + 2]!] = s2;
      out[pending[t + 3]!] = s3;
    }
    for (; t < count; t++) {
      const b = order[pending[t]!]! * dim;
      let sum = 0;
      for (let u = 0; u < m; u++) sum += x[a + terms[u]!]! * x[b + terms[u]!]!;
      out[pending[t]!] = sum;
    }
    const { gamma, coef0, degree } = this.params;
    switch (this.params.kernel) {
      case 'linear':
        return;
      case 'poly':
        for (t = 0; t < count; t++) out[pending[t]!] = powi(gamma * out[pending[t]!]! + coef0, degree);
        return;
      case 'rbf': {
        const xSquare = this.xSquare!;
        const xi = xSquare[i]!;
        for (t = 0; t < count; t++) {
          const j = pending[t]!;
          out[j] = Math.exp(-gamma * (xi + xSquare[j]! - 2 * out[j]!));
        }
        return;
      }
      case 'sigmoid':
        for (t = 0; t < count; t++) out[pending[t]!] = Math.tanh(gamma * out[pending[t]!]! + coef0);
    }
  }

  /** Kernel::swap_index. */
  swap(i: number, j: number): void {
    swap(this.order, i, j);
    if (this.xSquare) swap(this.xSquare, i, j);
  }
}

type NumberArray = Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array;

export function swap(a: NumberArray, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Bytes of libsvm's head_t on a 64-bit build (two pointers, a data pointer, an int, padding). */
const HEAD_BYTES = 32;

/**
 * Cache: columns of Q, each data[0, len) filled, evicted least recently used first when the budget
 * (cache_size MB, less the heads, at least two columns) is spent. What is cached never changes a
 * value (a column is recomputed identically), only how often it is computed.
 */
export class Cache {
  private readonly data: (Float32Array | undefined)[];
  private readonly len: Int32Array;
  /** A circular LRU list over columns; index l is its head. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private size: number;
  /** The column get() returned last. */
  column: Float32Array = new Float32Array(0);

  constructor(private readonly l: number, bytes: number) {
    this.data = new Array<Float32Array | undefined>(l);
    this.len = new Int32Array(l);
    this.prev = new Int32Array(l + 1).fill(l);
    this.next = new Int32Array(l + 1).fill(l);
    this.size = Math.max(Math.trunc(bytes / 4) - Math.trunc((l * HEAD_BYTES) / 4), 2 * l);
  }

  private unlink(h: number): void {
    this.next[this.prev[h]!] = this.next[h]!;
    this.prev[this.next[h]!] = this.prev[h]!;
  }

  private append(h: number): void {
    const head = this.l;
    this.next[h] = head;
    this.prev[h] = this.prev[head]!;
    this.next[this.prev[h]!] = h;
    this.prev[head] = h;
  }

  private drop(h: number): void {
    this.unlink(h);
    this.size += this.len[h]!;
    this.data[h] = undefined;
    this.len[h] = 0;
  }

  /** Cache::get_data: sets `column` to index's column and returns from where [.., len) needs filling. */
  get(index: number, len: number): number {
    const had = this.len[index]!;
    if (had) this.unlink(index);
    const more = len - had;
    let start = len;
    if (more > 0) {
      while (this.size < more) this.drop(this.next[this.l]!);
      const grown = new Float32Array(len);
      const old = this.data[index];
      if (old) grown.set(old.subarray(0, had));
      this.data[index] = grown;
      this.size -= more;
      this.len[index] = len;
      start = had;
    }
    this.append(index);
    this.column = this.data[index]!;
    return start;
  }

  /** Cache::swap_index: columns i and j trade places, and so do entries i and j of every column. */
  swapIndex(i: number, j: number): void {
    if (i === j) return;
    if (this.len[i]) this.unlink(i);
    if (this.len[j]) this.unlink(j);
    const t = this.data[i];
    this.data[i] = this.data[j];
    this.data[j] = t;
    swap(this.len, i, j);
    if (this.len[i]) this.append(i);
    if (this.len[j]) this.append(j);
    if (i > j) [i, j] = [j, i];
    for (let h = this.next[this.l]!; h !== this.l; ) {
      const following = this.next[h]!;
      if (this.len[h]! > i) {
        if (this.len[h]! > j) swap(this.data[h]!, i, j);
        else this.drop(h);
      }
      h = following;
    }
  }
}

/** QMatrix: what the solver reads. getQ's column stays valid until the next getQ call but one. */
export interface QMatrix {
  getQ(column: number, len: number): Float32Array;
  readonly QD: Float64Array;
  swapIndex(i: number, j: number): void;
}

/** SVC_Q: Q_ij = y_i y_j K(x_i, x_j), for C-SVC and nu-SVC. */
export class SvcQ implements QMatrix {
  private readonly kernel: Kernel;
  private readonly cache: Cache;
  private readonly y: Int8Array;
  /** Kernel values of the column being filled, before Q's float32 rounding. */
  private readonly values: Float64Array;
  readonly QD: Float64Array;

  /** Over the rows `rows` of `x` (position → row), labels y by position. */
  constructor(x: Float64Array, rows: Int32Array, dim: number, params: KernelParams, y: Int8Array, cacheBytes: number, store?: KernelStore) {
    const l = rows.length;
    this.kernel = new Kernel(x, rows, dim, params, store);
    this.y = Int8Array.from(y);
    this.cache = new Cache(l, cacheBytes);
    this.QD = new Float64Array(l);
    for (let i = 0; i < l; i++) this.QD[i] = this.kernel.value(i, i);
    this.values = new Float64Array(l);
  }

  getQ(i: number, len: number): Float32Array {
    const start = this.cache.get(i, len);
    const data = this.cache.column;
    if (start < len) {
      const { y, values } = this;
      this.kernel.column(i, start, len, values);
      for (let j = start; j < len; j++) data[j] = y[i]! * y[j]! * values[j]!;
    }
    return data;
  }

  swapIndex(i: number, j: number): void {
    this.cache.swapIndex(i, j);
    this.kernel.swap(i, j);
    swap(this.y, i, j);
    swap(this.QD, i, j);
  }
}

/**
 * SVR_Q: the 2l-variable regression problem (alpha and alpha*) over l kernel rows; columns are cached
 * by data row in their original order and copied, signed and reordered, into one of two buffers.
 */
export class SvrQ implements QMatrix {
  private readonly kernel: Kernel;
  private readonly cache: Cache;
  private readonly sign: Int8Array;
  private readonly index: Int32Array;
  private readonly buffers: [Float32Array, Float32Array];
  private nextBuffer = 0;
  private readonly values: Float64Array;
  readonly QD: Float64Array;

  private readonly l: number;

  /** Over the rows `rows` of `x`. */
  constructor(x: Float64Array, rows: Int32Array, dim: number, params: KernelParams, cacheBytes: number, store?: KernelStore) {
    const l = rows.length;
    this.l = l;
    this.kernel = new Kernel(x, rows, dim, params, store);
    this.cache = new Cache(l, cacheBytes);
    this.QD = new Float64Array(2 * l);
    this.sign = new Int8Array(2 * l);
    this.index = new Int32Array(2 * l);
    for (let k = 0; k < l; k++) {
      this.sign[k] = 1;
      this.sign[k + l] = -1;
      this.index[k] = k;
      this.index[k + l] = k;
      this.QD[k] = this.kernel.value(k, k);
      this.QD[k + l] = this.QD[k]!;
    }
    this.buffers = [new Float32Array(2 * l), new Float32Array(2 * l)];
    this.values = new Float64Array(l);
  }

  getQ(i: number, len: number): Float32Array {
    const { l, sign, index } = this;
    const realI = index[i]!;
    if (this.cache.get(realI, l) < l) {
      const data = this.cache.column;
      this.kernel.column(realI, 0, l, this.values);
      data.set(this.values);
    }
    const data = this.cache.column;
    const buffer = this.buffers[this.nextBuffer]!;
    this.nextBuffer = 1 - this.nextBuffer;
    const si = sign[i]!;
    for (let j = 0; j < len; j++) buffer[j] = si * sign[j]! * data[index[j]!]!;
    return buffer;
  }

  swapIndex(i: number, j: number): void {
    swap(this.sign, i, j);
    swap(this.index, i, j);
    swap(this.QD, i, j);
  }
}
