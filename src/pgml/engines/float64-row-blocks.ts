/**
 * A float32 row-major matrix (the training rows as they arrive) seen as float64 blocks of rows, for
 * solvers that pass over it many times through the BLAS's double-precision products. A block holds
 * about 256 kB, so it stays in cache between the products of one pass. Up to KEEP_BYTES of float64
 * the blocks are converted once and kept (small tables: a pass is then only the products); past it
 * one buffer is refilled block after block on every pass, so that no float64 copy of a large matrix
 * is ever made (issue 15: a 1M-row training peaks at twice its float32 rows, not three times).
 * Either way the blocks, and so the order of every sum over rows, are the same.
 *
 * With `ones`, each block row carries a last column of 1 after the matrix's columns: a product
 * with a weight row whose last entry is an intercept then adds the intercept, and the transposed
 * product sums the residuals into the intercept's gradient, in the same BLAS call.
 */

const BLOCK_BYTES = 256 * 1024;
const KEEP_BYTES = 16 * 1024 * 1024;

export interface RowBlockOptions {
  /** Append a column of ones (an intercept's). */
  ones?: boolean;
  /** Keep the converted blocks up to this many bytes of float64 (default 16 MB). */
  keepBytes?: number;
}

export class Float64RowBlocks {
  /** Rows per block (the last block may have fewer). */
  readonly blockRows: number;
  /** Columns of a block row: the matrix's, and the ones column if asked for. */
  readonly width: number;
  readonly count: number;
  private readonly kept: Float64Array[] | undefined;
  private readonly buffer: Float64Array | undefined;

  constructor(
    private readonly x: Float32Array,
    readonly rows: number,
    readonly cols: number,
    options: RowBlockOptions = {},
  ) {
    this.width = cols + (options.ones ? 1 : 0);
    this.blockRows = Math.max(1, Math.min(rows, Math.floor(BLOCK_BYTES / 8 / Math.max(this.width, 1))));
    this.count = Math.ceil(rows / this.blockRows);
    if (rows * this.width * 8 <= (options.keepBytes ?? KEEP_BYTES)) {
      this.kept = [];
      for (let b = 0; b < this.count; b++) {
        const block = new Float64Array(this.rowsOf(b) * this.width);
        this.fill(b, block);
        this.kept.push(block);
      }
    } else {
      this.buffer = new Float64Array(this.blockRows * this.width);
    }
  }

  /** Whether the blocks are converted once and kept (true) or refilled on every pass. */
  get keeps(): boolean {
    return this.kept !== undefined;
  }

  /** The first row of block b. */
  start(b: number): number {
    return b * this.blockRows;
  }

  /** How many rows block b holds. */
  rowsOf(b: number): number {
    return Math.min(this.blockRows, this.rows - b * this.blockRows);
  }

  /**
   * Block b, rowsOf(b) × width, row-major. Without kept blocks the one buffer is refilled: a block
   * is valid until the next call.
   */
  block(b: number): Float64Array {
    if (this.kept) return this.kept[b]!;
    const n = this.rowsOf(b);
    const block = n === this.blockRows ? this.buffer! : this.buffer!.subarray(0, n * this.width);
    this.fill(b, block);
    return block;
  }

  private fill(b: number, block: Float64Array): void {
    const { cols, width, x } = this;
    const start = this.start(b);
    const n = this.rowsOf(b);
    if (width === cols) {
      block.set(x.subarray(start * cols, (start + n) * cols));
      return;
    }
    for (let r = 0, i = start * cols, o = 0; r < n; r++) {
      for (let c = 0; c < cols; c++) block[o++] = x[i++]!;
      block[o++] = 1;
    }
  }
}
