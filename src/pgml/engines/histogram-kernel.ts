/**
 * hist_gradient_boosting's histogram loops, partition, gradient gather, the sibling subtraction and split finding in WebAssembly (histogram-kernel.wat: about
 * 1.1 ns an update of a node's rows against 3.3 ns for the same JavaScript loop, 0.75 against 2 ns for
 * the root's),
 * and the memory they run over: one shared WebAssembly.Memory per grower holding every array a
 * histogram reads or writes (bins, the partition, gathered gradients, histograms), carved by
 * KernelArena. Shared, so that the helper thread instantiates the kernel over the same memory, and so
 * that growing it (a new histogram) never detaches the arrays already handed out (a shared buffer
 * only grows; a non-shared one is replaced).
 */
import { PgError, SqlState } from '../../errors/index.js';
import { HISTOGRAM_KERNEL_WASM } from './histogram-kernel-wasm.js';

/** The .wat's exports; every argument is a byte address in the kernel's memory (see the .wat). */
export interface HistogramKernel {
  sumGradients(histogram: number, column: number, positions: number, n: number, gradients: number): void;
  sumGradientsAndHessians(histogram: number, column: number, positions: number, n: number, gradients: number, hessians: number): void;
  sumGradientsInOrder(histogram: number, column: number, n: number, gradients: number): void;
  sumGradientsAndHessiansInOrder(histogram: number, column: number, n: number, gradients: number, hessians: number): void;
  /** Returns how many of the n positions went left (theirs first, then the rest: both in order). */
  partition(indices: number, scratch: number, n: number, column: number, bin: number): number;
  /** out[i] = values[positions[i]] for i < n (four-byte values, bit for bit). */
  gather(out: number, values: number, positions: number, n: number): void;
  /** `bytes` zero bytes from `at` (memory.fill). */
  zero(at: number, bytes: number): void;
  /** large[i] -= small[i] for n float64s (the same bits as the scalar subtraction). */
  subtract(large: number, small: number, n: number): void;
  /** Each of the entries' row count copied to its hessian sum (constant hessians). */
  countsAsHessians(histogram: number, entries: number): void;
  /**
   * A node's best split on one feature (histogram-step.ts's featureSplit): the feature's entries from
   * `histogram`, bins below `lastBin`; gain, bin, left G and left H written as four float64s at `out`.
   */
  findSplit(histogram: number, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number, out: number): void;
}

/** The memory a kernel runs over: shared (above), so its buffer is a SharedArrayBuffer. */
export type KernelMemory = WebAssembly.Memory<SharedArrayBuffer>;

const PAGE = 65_536;
/** wasm32's whole address space, 4 GiB: the .wat's declared maximum. */
const MAX_PAGES = 65_536;

/** Compiled once per thread (1.5 kB: synchronous compilation takes well under a millisecond). */
let compiled: WebAssembly.Module | undefined;
/** The kernel instantiated over each memory, once per thread (the helper's memory object is its own). */
const instances = new WeakMap<KernelMemory, HistogramKernel>();

/** The kernel over `memory`, instantiated on first use in this thread. */
export function histogramKernel(memory: KernelMemory): HistogramKernel {
  let kernel = instances.get(memory);
  if (!kernel) {
    compiled ??= new WebAssembly.Module(Buffer.from(HISTOGRAM_KERNEL_WASM, 'base64'));
    kernel = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as HistogramKernel;
    instances.set(memory, kernel);
  }
  return kernel;
}

type ArrayType = Uint8ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/**
 * Arrays carved one after another from a shared WebAssembly.Memory that grows as needed; nothing is
 * freed (a grower allocates once per fit, and its histograms are reused from a pool).
 */
export class KernelArena {
  readonly memory: KernelMemory;
  private top = 0;

  /** `bytes`: what the arena is expected to hold at first (it grows past it when needed). */
  constructor(bytes: number) {
    const pages = Math.min(MAX_PAGES, Math.max(1, Math.ceil(bytes / PAGE)));
    try {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    } catch (error) {
      throw new PgError(SqlState.OutOfMemory, `hist_gradient_boosting could not reserve ${Math.ceil((pages * PAGE) / 2 ** 20)} MB of histogram memory: ${(error as Error).message}`);
    }
  }

  /** A zeroed array of `length` elements in the memory, 8-byte aligned. */
  array<T extends ArrayType>(type: T, length: number): InstanceType<T> {
    const start = (this.top + 7) & ~7;
    const end = start + length * type.BYTES_PER_ELEMENT;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (end > MAX_PAGES * PAGE) {
        throw new PgError(SqlState.ProgramLimitExceeded, `hist_gradient_boosting's binned rows and histograms need ${Math.ceil(end / 2 ** 20)} MB, more than WebAssembly's 4096 MB`);
      }
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw new PgError(SqlState.OutOfMemory, `hist_gradient_boosting could not grow its histogram memory to ${Math.ceil(end / 2 ** 20)} MB: ${(error as Error).message}`);
      }
    }
    this.top = end;
    return new type(this.memory.buffer as unknown as ArrayBuffer, start, length) as InstanceType<T>;
  }
}
