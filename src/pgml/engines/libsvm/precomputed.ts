/**
 * The rbf kernel matrix that native libsvm trains on with kernel_type PRECOMPUTED (./native.ts), written
 * into memory laid out as upstream reads it. The values are upstream's kernel_rbf,
 * exp(−γ(‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ)), with the squared norms summed feature by feature as upstream's dot
 * does and the cross products from BLAS (another order of additions: exact where the features are
 * integers, as digits', whose products are then taken from single precision, at half the cost;
 * otherwise a few ulps apart). The diagonal is upstream's to the bit (exp(0) = 1 for rbf): the solver
 * uses it in double. Every other value reaches the solver as a float (libsvm's Qfloat), which the ulps
 * of BLAS's sums or of V8's exp against glibc's almost never move: the fixtures' and the benchmark
 * datasets' models are the same doubles as with upstream's own kernel (libsvm-native.test.ts).
 */
import { rowBandProducts, rowBandProductsExact32 } from '../blas.js';
import { tableExp } from '../table-exp.js';

/**
 * Where precomputed kernel rows live: two rows to one run of doubles, interleaved. Upstream reads row
 * i's kernel value with row j as x[i][s].value, where s = x[j][0].value, j's serial number, and in a
 * precomputed training it reads nothing else of a node (kernel_precomputed; indices are read only by
 * the dot products of the other kernels, by prediction and by the model file, none of which runs here).
 * A node is 16 bytes, its value the second 8, so a row's values take every other double: the row at
 * position 2m + 1 starts 8 bytes after the row at 2m and its values fill the doubles that would be the
 * other row's indices. Half the memory of a row of whole nodes, half the bytes written, half the pages
 * to fault in (digits: 14.5 MB instead of 29).
 */
export class InterleavedRows {
  /** Doubles from one pair of rows to the next: node 0 (the serial number) and one node per row. */
  readonly stride: number;
  /** Doubles the matrix takes: the last pair's second row ends one double past its pair's run. */
  readonly doubles: number;

  constructor(readonly rows: number) {
    this.stride = 2 * (rows + 1);
    this.doubles = Math.ceil(rows / 2) * this.stride + 1;
  }

  /** The double holding the value of node `node` of the row at `position` (node 0: its serial number). */
  slot(position: number, node: number): number {
    return interleavedSlot(this.stride, position, node);
  }

  /** Byte offset of the row at `position`'s first node (8 bytes before its first value). */
  rowOffset(position: number): number {
    return ((position >> 1) * this.stride + (position & 1)) * 8;
  }
}

function interleavedSlot(stride: number, position: number, node: number): number {
  return (position >> 1) * stride + 2 * node + 1 + (position & 1);
}

/**
 * Rows of the kernel matrix computed at a time: their band of values stays in cache (32 × 1,347 doubles
 * on digits: 345 kB). Even, so that a band holds whole pairs of interleaved rows.
 */
const BAND = 32;

/**
 * The rbf kernel matrix of x's rows (row-major, `cols` features) into `values`, laid out as `layout`:
 * the row at position i has its serial number i + 1 at node 0 and its value with the row at position j
 * at node j + 1. Built a band of rows at a time: the band's dot products with the rows from the band on
 * (BLAS) become kernel values, one exp per pair of rows, written into the band's rows of the matrix and
 * kept in the band, whose columns then go into the rows below (the matrix is symmetric), so that each
 * value is written once and none is read back: the matrix is far larger than a cache. (Computing the
 * band in place first and copying its rows out after took 10–11% more of a digits fit's CPU: svm8.)
 * The loops are small functions, called per band and per row: V8 optimizes a function after some
 * calls, and the warm-up's small fits make enough of them, where a loop inside one long call waits for
 * on-stack replacement (a first digits fit after the warm-up ran its band loop unoptimized: 21 ms of
 * CPU where a warm fit takes 4).
 */
export function writeKernelMatrix(values: Float64Array, layout: InterleavedRows, x: Float64Array, cols: number, gamma: number): void {
  const { rows } = layout;
  const square = squaredNorms(x, rows, cols);
  const products = new BandProducts(x, rows, cols);
  const byDistance = products.exact ? distanceTable(square) : undefined;
  for (let from = 0; from < rows; from += BAND) {
    const to = Math.min(from + BAND, rows);
    const band = products.of(from, to);
    if (byDistance) bandRowsByDistance(values, layout.stride, band, from, to, rows, square, byDistance, gamma);
    else bandRows(values, layout.stride, band, from, to, rows, square, gamma);
    writeColumnsBelow(values, layout.stride, band, from, to, rows);
  }
}

/** Each row's squared norm, summed feature by feature as upstream's dot sums it. */
function squaredNorms(x: Float64Array, rows: number, cols: number): Float64Array {
  const square = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0, at = i * cols; j < cols; j++, at++) sum += x[at]! * x[at]!;
    square[i] = sum;
  }
  return square;
}

/**
 * The dot products of a band of rows with the rows from the band's first on (BLAS), row-major with a
 * row of rows − from values. Integer features whose products are exact in single precision take sgemm
 * (exactInFloat32), kept apart from the loops that follow so that the path a fit takes here does not
 * send them back to V8's interpreter.
 */
class BandProducts {
  private readonly band: Float64Array;
  private readonly exact32?: { x: Float32Array; band: Float32Array };

  constructor(private readonly x: Float64Array, private readonly rows: number, private readonly cols: number) {
    this.band = new Float64Array(BAND * rows);
    if (exactInFloat32(x, cols)) this.exact32 = { x: new Float32Array(x), band: new Float32Array(BAND * rows) };
  }

  /** Whether every product (and so every squared distance) is an exact integer. */
  get exact(): boolean {
    return this.exact32 !== undefined;
  }

  of(from: number, to: number): Float64Array {
    const { x, rows, cols, band, exact32 } = this;
    if (exact32 && rowBandProductsExact32(exact32.x, rows, cols, from, to, from, exact32.band)) {
      band.set(exact32.band.subarray(0, (to - from) * (rows - from)));
    } else {
      rowBandProducts(x, rows, cols, from, to, from, band);
    }
    return band;
  }
}

/**
 * Whether every dot product of x's rows is exact in single precision: integer features (digits' are
 * 0–16) whose products, summed over the columns, stay below 2^24 in magnitude, so that every partial
 * sum, in any order, is a float. Then sgemm gives the double sums' values at half dgemm's cost.
 */
function exactInFloat32(x: Float64Array, cols: number): boolean {
  let largest = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v)) return false;
    largest = Math.max(largest, Math.abs(v));
  }
  return cols * largest * largest < 2 ** 24;
}

/**
 * The band's rows of the matrix, whole: serial number, the columns left of the band's diagonal from the
 * band's rows above (transposed: their values were made first), then the diagonal and the values right of
 * it from the dot products, each written into the band too (the rows below read their columns there).
 */
function bandRows(
  values: Float64Array, stride: number, band: Float64Array, from: number, to: number, rows: number, square: Float64Array, gamma: number,
): void {
  const width = rows - from;
  for (let i = from; i < to; i++) {
    const node0 = rowStart(values, stride, band, from, i, width);
    const diagonal = (i - from) * width + i - from;
    const si = square[i]!;
    // upstream's diagonal to the bit (the solver uses it as a double): exp(0) = 1 for rbf
    values[node0 + 2 * (i + 1)] = band[diagonal] = Math.exp(-gamma * (si + si - 2 * si));
    kernelValues(values, node0 + 2 * (i + 2), band, diagonal + 1, rows - i - 1, si, square, i + 1, gamma);
  }
}

/** Row i's serial number and its columns left of the band's diagonal (the band's rows above, transposed); its node 0's slot. */
function rowStart(values: Float64Array, stride: number, band: Float64Array, from: number, i: number, width: number): number {
  const node0 = interleavedSlot(stride, i, 0);
  values[node0] = i + 1;
  gather(values, node0 + 2 * (from + 1), band, i - from, width, i - from);
  return node0;
}

/**
 * band[at + t] and every other double of `values` from `slot` on = upstream's rbf value from the dot product
 * at band[at + t], for row i (squared norm si) and the rows from `first` on.
 */
function kernelValues(
  values: Float64Array, slot: number, band: Float64Array, at: number, count: number, si: number, square: Float64Array, first: number, gamma: number,
): void {
  for (let t = 0; t < count; t++) values[slot + 2 * t] = band[at + t] = tableExp(-gamma * (si + square[first + t]! - 2 * band[at + t]!));
}

/** Squared distances up to this many take a table (512 kB of doubles): digits' reach 4 · 64 · 16² at most. */
const DISTANCE_TABLE_LIMIT = 1 << 16;

/**
 * The table of exp(−γ·D) by the squared distance D where every D is an exact integer (integer features,
 * BandProducts.exact): digits' 0.9M kernel values have a few thousand distinct distances. Each entry is
 * tableExp(−γ·D) computed the first time D comes up (NaN until then), so the same double as kernelValues'
 * (its argument is the same double). D ≤ 2(‖xᵢ‖² + ‖xⱼ‖²) (Cauchy–Schwarz) bounds the table by four times
 * the largest squared norm; beyond DISTANCE_TABLE_LIMIT, undefined (kernelValues then).
 * A bare Float64Array and gamma passed beside it, not an object holding both: with the object,
 * bandRowsByDistance's and the table's optimized code were thrown away at the collections after a fit
 * (--trace-deopt: "marking dependent code ... for deoptimization, reason: weak objects"), and the next
 * integer-featured fit ran its band loop unoptimized until TurboFan had compiled it again.
 */
export function distanceTable(square: Float64Array): Float64Array | undefined {
  let largest = 0;
  for (let i = 0; i < square.length; i++) largest = Math.max(largest, square[i]!);
  const size = 4 * largest + 1;
  return size <= DISTANCE_TABLE_LIMIT + 1 ? new Float64Array(size).fill(NaN) : undefined;
}

/** bandRows by distanceTable's table. */
function bandRowsByDistance(
  values: Float64Array, stride: number, band: Float64Array, from: number, to: number, rows: number, square: Float64Array, table: Float64Array,
  gamma: number,
): void {
  const width = rows - from;
  for (let i = from; i < to; i++) {
    const node0 = rowStart(values, stride, band, from, i, width);
    const diagonal = (i - from) * width + i - from;
    const si = square[i]!;
    values[node0 + 2 * (i + 1)] = band[diagonal] = Math.exp(-gamma * (si + si - 2 * si));
    kernelValuesByDistance(values, node0 + 2 * (i + 2), band, diagonal + 1, rows - i - 1, si, square, i + 1, table, gamma);
  }
}

/** kernelValues where every squared distance is an exact integer below table.length. */
function kernelValuesByDistance(
  values: Float64Array, slot: number, band: Float64Array, at: number, count: number, si: number, square: Float64Array, first: number,
  table: Float64Array, gamma: number,
): void {
  for (let t = 0; t < count; t++) {
    const distance = si + square[first + t]! - 2 * band[at + t]!;
    let value = table[distance]!;
    if (value !== value) value = table[distance] = tableExp(-gamma * distance);
    values[slot + 2 * t] = band[at + t] = value;
  }
}

/** The band's columns into the rows below it (the matrix is symmetric). */
function writeColumnsBelow(values: Float64Array, stride: number, band: Float64Array, from: number, to: number, rows: number): void {
  const width = rows - from;
  for (let j = to; j < rows; j++) gather(values, interleavedSlot(stride, j, from + 1), band, j - from, width, to - from);
}

/** `count` values of a band's column (band[at], band[at + stride], …) into every other double of `values` from `slot` on. */
function gather(values: Float64Array, slot: number, band: Float64Array, at: number, stride: number, count: number): void {
  for (let t = 0; t < count; t++) values[slot + 2 * t] = band[at + t * stride]!;
}
