/**
 * Decodes the training relation's rows from Postgres' binary send formats (`*send` in the
 * server's utils/adt) straight into the raw matrix, value by value: no row objects, no strings but
 * a text column's own. Only the types a training column can have (preparation/columns.ts) arrive here.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { BinaryRowSink } from '../../db/queryable.js';
import type { ColumnSpec } from '../preparation/columns.js';
import type { RawMatrixBuilder } from '../preparation/raw-matrix.js';

/**
 * Values are read through a DataView of the row's buffer (one per buffer, not per row): its getters
 * are compiled inline, where Buffer's readFloatBE and the like are calls that check their arguments,
 * most of the decoding's time per value.
 */
type Scalar = (view: DataView, data: Buffer, at: number) => number;

/** The fixed-width send formats, by a number for fixedWidthRowSink's switch. */
const FIXED_WIDTH: Record<string, number> = { bool: 0, int2: 1, int4: 2, int8: 3, float4: 4, float8: 5 };

/** A fixed-width value (its FIXED_WIDTH number) at `at`. */
function fixedWidth(type: number, view: DataView, at: number): number {
  switch (type) {
    case 0:
      return view.getUint8(at) === 0 ? 0 : 1;
    case 1:
      return view.getInt16(at);
    case 2:
      return view.getInt32(at);
    case 3:
      // Exact below 2^53; above, the one rounding of the sum is the correctly rounded double.
      return view.getInt32(at) * 4294967296 + view.getUint32(at + 4);
    case 4:
      return view.getFloat32(at);
    default:
      return view.getFloat64(at);
  }
}

const SCALARS: Record<string, Scalar> = {
  ...Object.fromEntries(Object.entries(FIXED_WIDTH).map(([name, type]): [string, Scalar] => [name, (view, _data, at) => fixedWidth(type, view, at)])),
  numeric: (_view, data, at) => numeric(data, at),
};

/** A sink that writes each row into the builder; `specs` are the relation's columns in order. */
export function binaryRowSink(specs: readonly ColumnSpec[], builder: RawMatrixBuilder): BinaryRowSink {
  return fixedWidthRowSink(specs, builder) ?? columnByColumnSink(specs, builder);
}

/** One DataView per buffer the rows come in (a chunk holds hundreds of rows). */
function viewer(): (data: Buffer) => DataView {
  let viewed: Buffer | undefined;
  let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  return (data) => {
    if (data !== viewed) {
      viewed = data;
      view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    return view;
  };
}

function checkFields(fields: number, expected: number): void {
  if (fields !== expected) throw new PgError(SqlState.DataException, `expected ${expected} columns per row, received ${fields}`);
}

/**
 * Rows of fixed-width scalars only (the common training table: numbers and a label), decoded in one
 * loop that stores each value where the builder laid its column out: no call per value. The
 * decoding thread shares the two cores with the upstream backend and the sessions while the read
 * runs: a million rows of 30 float4 and a label cost it about 800 ms of CPU column by column into
 * length-tracking views, 400 into fixed ones (raw-matrix.ts), 260 here (BENCHMARKS.md, issue 15,
 * fitp99). Undefined when a column is of another kind.
 */
function fixedWidthRowSink(specs: readonly ColumnSpec[], builder: RawMatrixBuilder): BinaryRowSink | undefined {
  const types = specs.map((spec) => (spec.kind === 'categorical' || spec.array ? undefined : FIXED_WIDTH[spec.pgType]));
  if (types.some((type) => type === undefined)) return undefined;
  const type = Uint8Array.from(types as number[]);
  const places = builder.placeScalars();
  const columns = specs.length;
  const viewOf = viewer();
  return {
    row(data, start) {
      const view = viewOf(data);
      checkFields(view.getInt16(start), columns);
      const { x, xRow, y, yRow } = builder.beginScalarRow();
      let at = start + 2;
      for (let c = 0; c < columns; c++) {
        const length = view.getInt32(at);
        at += 4;
        const value = length < 0 ? Number.NaN : fixedWidth(type[c]!, view, at);
        if (length > 0) at += length;
        const place = places[c]!;
        if (place >= 0) x[xRow + place] = value;
        else y[yRow - 1 - place] = value;
      }
      builder.endRow();
    },
  };
}

/** Any training column: each column's reader in turn (text, numeric, arrays). */
function columnByColumnSink(specs: readonly ColumnSpec[], builder: RawMatrixBuilder): BinaryRowSink {
  const readers = specs.map((spec, c) => columnReader(spec, c, builder));
  const viewOf = viewer();
  return {
    row(data, start) {
      const view = viewOf(data);
      checkFields(view.getInt16(start), readers.length);
      builder.beginRow();
      let at = start + 2;
      for (const read of readers) {
        const length = view.getInt32(at);
        at += 4;
        read(view, data, at, length);
        if (length > 0) at += length;
      }
      builder.endRow();
    },
  };
}

type Reader = (view: DataView, data: Buffer, at: number, length: number) => void;

function columnReader(spec: ColumnSpec, column: number, builder: RawMatrixBuilder): Reader {
  if (spec.kind === 'categorical') {
    return (_view, data, at, length) => builder.category(column, length < 0 ? null : data.toString('utf8', at, at + length));
  }
  const element = scalar(spec.array ? spec.pgType.slice(0, -2) : spec.pgType);
  if (!spec.array) return (view, data, at, length) => builder.number(column, length < 0 ? Number.NaN : element(view, data, at));
  return (view, data, at, length) => {
    if (length < 0) {
      throw new PgError(SqlState.NullValueNotAllowed, `column "${spec.name}" has a NULL array`, {
        column: spec.name,
        hint: 'filter out rows with NULL arrays, e.g. WHERE column IS NOT NULL in a view',
      });
    }
    // array_send: ndim, has-null flag, element type, (size, lower bound) per dimension, elements.
    const dimensions = view.getInt32(at);
    let count = dimensions === 0 ? 0 : 1;
    for (let d = 0; d < dimensions; d++) count *= view.getInt32(at + 12 + d * 8);
    builder.arrayStart(column, count);
    // A multidimensional array's features are its elements in row-major order, as it is sent.
    let p = at + 12 + dimensions * 8;
    for (let e = 0; e < count; e++) {
      const size = view.getInt32(p);
      p += 4;
      if (size < 0) {
        throw new PgError(SqlState.NullValueNotAllowed, `column "${spec.name}" has an array with a NULL element`, { column: spec.name });
      }
      builder.arrayElement(column, e, element(view, data, p));
      p += size;
    }
  };
}

function scalar(pgType: string): Scalar {
  const read = SCALARS[pgType];
  if (read === undefined) throw new PgError(SqlState.FeatureNotSupported, `cannot read ${pgType} values for training`);
  return read;
}

const NUMERIC_NAN = 0xc000;
const NUMERIC_POSITIVE_INFINITY = 0xd000;
const NUMERIC_NEGATIVE_INFINITY = 0xf000;
const NUMERIC_NEGATIVE = 0x4000;

/**
 * numeric_send: digit count, weight (of the first base-10000 digit), sign, display scale, digits.
 * Spelled out in decimal and parsed, so the double is the correctly rounded one, as from text.
 */
function numeric(data: Buffer, at: number): number {
  const digits = data.readInt16BE(at);
  const weight = data.readInt16BE(at + 2);
  const sign = data.readUInt16BE(at + 4);
  if (sign === NUMERIC_NAN) return Number.NaN;
  if (sign === NUMERIC_POSITIVE_INFINITY) return Infinity;
  if (sign === NUMERIC_NEGATIVE_INFINITY) return -Infinity;
  if (digits === 0) return 0;
  let text = '';
  for (let i = 0; i < digits; i++) text += String(data.readInt16BE(at + 8 + i * 2)).padStart(4, '0');
  const integerDigits = (weight + 1) * 4;
  if (integerDigits <= 0) text = `0.${'0'.repeat(-integerDigits)}${text}`;
  else if (integerDigits >= text.length) text += '0'.repeat(integerDigits - text.length);
  else text = `${text.slice(0, integerDigits)}.${text.slice(integerDigits)}`;
  return Number(sign === NUMERIC_NEGATIVE ? `-${text}` : text);
}
