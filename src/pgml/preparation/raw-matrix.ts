/**
 * The training relation as read, before any split or preprocessing: one row-major float32 matrix
 * of the feature columns (numbers, array elements, and for text columns an id into the column's
 * dictionary of distinct values) and a float64 matrix of the label columns. Both live in
 * SharedArrayBuffers: the engine workers read them where they are, and they grow in place while
 * rows arrive (a growable buffer reserves address space up to the memory limit and commits pages
 * as it grows), so the relation is never held twice.
 *
 * Rows arrive column by column in catalog order, from Postgres' binary format
 * (store/binary-rows.ts) or from JavaScript values (`addValues`). NaN marks NULL.
 */
import type { PgError } from '../../errors/index.js';
import { readArray, readCategory, readScalar, type ColumnSpec } from './columns.js';
import { invalid } from './preprocess.js';

export interface RawMatrix {
  rows: number;
  /** rows × width feature values, in a SharedArrayBuffer. */
  x: Float32Array;
  width: number;
  /** rows × labels.length label values (numbers, or dictionary ids of a text label). */
  y: Float64Array;
  features: RawColumn[];
  labels: RawColumn[];
}

export interface RawColumn {
  spec: ColumnSpec;
  /** First element in a row of x (features) or y (labels). */
  offset: number;
  /** Elements per row: an array's width, otherwise 1. */
  size: number;
  /** Text columns: the distinct values in order of first appearance; the matrix holds their index. */
  keys?: string[];
}

interface Slot extends RawColumn {
  label: boolean;
  dictionary?: Map<string, number>;
  keys?: string[];
  /** Set once the first row has fixed the offset and size. */
  placed: boolean;
}

/** Where the current row of scalars goes (RawMatrixBuilder.beginScalarRow): x[xRow + offset], y[yRow + offset]. */
export interface ScalarRowTarget {
  x: Float32Array;
  xRow: number;
  y: Float64Array;
  yRow: number;
}

const INITIAL_BYTES = 1 << 20;

/** V8's largest growable buffer: a feature matrix of up to a billion values. */
export const MAX_MATRIX_BYTES = 2 ** 32;

/** ES2024's growable SharedArrayBuffer: Node 20 has it, this TypeScript's lib does not describe it yet. */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(bytes: number): void;
}
const GrowableBuffer = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => GrowableBuffer;

export class RawMatrixBuilder {
  private readonly slots: Slot[];
  private readonly labelCount: number;
  private readonly maxBytes: number;
  private readonly xBuffer: GrowableBuffer;
  private readonly yBuffer: GrowableBuffer;
  private x: Float32Array;
  private y: Float64Array;
  private rows = 0;
  /** x's row width once the first row is complete (or placeScalars laid it out); while it is read, the next free offset. */
  private width = 0;
  private xRow = 0;
  private yRow = 0;
  /** Where the current row goes, one object updated in place by beginScalarRow: nothing is allocated per row. */
  private readonly target: ScalarRowTarget;

  /**
   * `labelNames` are the label columns; every other column is a feature. `maxBytes` bounds the
   * feature matrix: crossing it fails with 53200 (`tooLarge` says what to do).
   */
  constructor(
    specs: readonly ColumnSpec[],
    labelNames: readonly string[],
    maxBytes: number,
    private readonly tooLarge: (bytes: number) => PgError,
  ) {
    this.slots = specs.map((spec) => {
      const label = labelNames.includes(spec.name);
      const slot: Slot = { spec, label, offset: label ? labelNames.indexOf(spec.name) : 0, size: 1, placed: label };
      if (spec.kind === 'categorical') {
        slot.dictionary = new Map();
        slot.keys = [];
      }
      return slot;
    });
    this.labelCount = labelNames.length;
    this.maxBytes = Math.min(maxBytes, MAX_MATRIX_BYTES);
    this.xBuffer = new GrowableBuffer(Math.min(INITIAL_BYTES, this.maxBytes), { maxByteLength: this.maxBytes });
    this.yBuffer = new GrowableBuffer(INITIAL_BYTES, { maxByteLength: MAX_MATRIX_BYTES });
    this.x = fixedView(Float32Array, this.xBuffer);
    this.y = fixedView(Float64Array, this.yBuffer);
    this.target = { x: this.x, xRow: 0, y: this.y, yRow: 0 };
  }

  /**
   * For rows of scalars only (store/binary-rows.ts' fixed-width path): places every column now, in
   * catalog order as the first row would, and returns where each goes: its offset in x (>= 0) for a
   * feature, or -1 - its offset in y for a label.
   */
  placeScalars(): Int32Array {
    if (this.rows > 0) throw new Error('placeScalars must come before the first row');
    return Int32Array.from(this.slots, (slot) => (slot.label ? -1 - slot.offset : this.place(slot, 1)));
  }

  /** beginRow, and where the row's values go (the arrays change when the matrix grows). */
  beginScalarRow(): ScalarRowTarget {
    this.beginRow();
    const target = this.target;
    target.x = this.x;
    target.xRow = this.xRow;
    target.y = this.y;
    target.yRow = this.yRow;
    return target;
  }

  beginRow(): void {
    // Until the first row is complete the width is not known, unless placeScalars laid it out.
    if (this.rows > 0 || this.width > 0) {
      this.xRow = this.rows * this.width;
      this.ensureX((this.xRow + this.width) * 4);
    }
    this.yRow = this.rows * this.labelCount;
    this.ensureY((this.yRow + this.labelCount) * 8);
  }

  endRow(): void {
    this.rows++;
  }

  number(column: number, value: number): void {
    const slot = this.slots[column] as Slot;
    if (slot.label) this.y[this.yRow + slot.offset] = value;
    else this.x[this.xRow + this.place(slot, 1)] = value;
  }

  category(column: number, key: string | null): void {
    const slot = this.slots[column] as Slot;
    let id = Number.NaN;
    if (key !== null) {
      id = slot.dictionary!.get(key) ?? -1;
      if (id < 0) {
        id = slot.keys!.length;
        slot.keys!.push(key);
        slot.dictionary!.set(key, id);
      }
    }
    if (slot.label) this.y[this.yRow + slot.offset] = id;
    else this.x[this.xRow + this.place(slot, 1)] = id;
  }

  /** Before an array's elements: the first row fixes its width, later rows must match it. */
  arrayStart(column: number, length: number): void {
    const slot = this.slots[column] as Slot;
    if (slot.placed) {
      if (length !== slot.size) throw mismatchedWidth(slot.spec.name, slot.size, length);
      return;
    }
    if (length === 0) throw invalid(`column "${slot.spec.name}" has an empty array`);
    this.place(slot, length);
    this.ensureX((slot.offset + length) * 4);
  }

  arrayElement(column: number, index: number, value: number): void {
    this.x[this.xRow + (this.slots[column] as Slot).offset + index] = value;
  }

  /** One row of JavaScript values (node-postgres' parsing), `value(column)` in catalog order. */
  addValues(value: (column: number) => unknown): void {
    this.beginRow();
    this.slots.forEach((slot, c) => {
      const { spec } = slot;
      if (spec.kind === 'categorical') this.category(c, readCategory(value(c), spec));
      else if (spec.array) {
        const elements = readArray(value(c), spec);
        this.arrayStart(c, elements.length);
        elements.forEach((v, e) => this.arrayElement(c, e, v));
      } else this.number(c, readScalar(value(c), spec));
    });
    this.endRow();
  }

  finish(): RawMatrix {
    const columns = this.slots.map(({ spec, offset, size, keys }) => ({ spec, offset, size, ...(keys ? { keys } : {}) }));
    return {
      rows: this.rows,
      x: new Float32Array(this.xBuffer, 0, this.rows * this.width),
      width: this.width,
      y: new Float64Array(this.yBuffer, 0, this.rows * this.labelCount),
      features: columns.filter((_, i) => !this.slots[i]!.label),
      labels: columns.filter((_, i) => this.slots[i]!.label).sort((a, b) => a.offset - b.offset),
    };
  }

  /** The slot's offset in the row; the first row lays the columns out in the order they come. */
  private place(slot: Slot, size: number): number {
    if (!slot.placed) {
      slot.offset = this.width;
      slot.size = size;
      slot.placed = true;
      this.width += size;
    }
    return slot.offset;
  }

  private ensureX(bytes: number): void {
    if (bytes <= this.xBuffer.byteLength) return;
    if (bytes > this.maxBytes) throw this.tooLarge(bytes);
    this.xBuffer.grow(Math.min(this.maxBytes, Math.max(bytes, this.xBuffer.byteLength * 2)));
    this.x = fixedView(Float32Array, this.xBuffer);
  }

  private ensureY(bytes: number): void {
    if (bytes <= this.yBuffer.byteLength) return;
    this.yBuffer.grow(Math.min(this.yBuffer.maxByteLength, Math.max(bytes, this.yBuffer.byteLength * 2)));
    this.y = fixedView(Float64Array, this.yBuffer);
  }
}

/**
 * A view of the buffer's current length, made again after each grow. Not a length-tracking view
 * (`new Float32Array(buffer)` of a growable buffer): Node 20's V8 stores through one of those at
 * about half the speed, which was most of decoding a float4 table's time (BENCHMARKS.md, issue 15, fitp99).
 */
function fixedView<T extends Float32Array | Float64Array>(type: { new (buffer: SharedArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }, buffer: GrowableBuffer): T {
  return new type(buffer, 0, Math.floor(buffer.byteLength / type.BYTES_PER_ELEMENT));
}

export function mismatchedWidth(name: string, expected: number, received: number): PgError {
  return invalid(
    `mismatched array length for feature "${name}": expected ${expected}, received ${received}`,
    'every row of an array feature must have the same number of elements',
  );
}
