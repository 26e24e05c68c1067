/**
 * Sorting a column's values for its statistics (statistics.ts) when every one of them is a float32
 * (a real column's values are: they come from the float32 feature matrix): a radix sort of their
 * 32-bit patterns, four passes of a byte, in the Float64Array's own memory. The column statistics'
 * sorts were the largest CPU cost of a training's dataset step beside the read (31 columns of 750k
 * values: 2.3 s of Float64Array.prototype.sort on an engine thread; BENCHMARKS.md, issue 15, fitp99).
 *
 * The order is TypedArray.prototype.sort's: numeric, -0 before +0. NaN must not occur.
 */

/**
 * Sorts `data` in place and returns true when every value is a float32; otherwise returns false
 * and leaves `data` as it was. `data` must not share its bytes with anything the caller still reads.
 */
export function radixSortFloat32(data: Float64Array): boolean {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    if (Math.fround(data[i] as number) !== data[i]) return false;
  }
  // The 8n bytes hold the n keys in their first half and the passes' other buffer in the second.
  const keys = new Uint32Array(data.buffer, data.byteOffset, n);
  const other = new Uint32Array(data.buffer, data.byteOffset + n * 4, n);
  const bits = new Float32Array(1);
  const pattern = new Uint32Array(bits.buffer);
  // Forward: key i's four bytes are those of value i / 2, already read.
  for (let i = 0; i < n; i++) {
    bits[0] = data[i] as number;
    const p = pattern[0] as number;
    // Negative: all bits flipped (larger magnitude first); positive: the sign bit set. -0 then sorts before +0.
    keys[i] = p & 0x80000000 ? ~p >>> 0 : (p | 0x80000000) >>> 0;
  }
  const counts = new Uint32Array(256);
  let from = keys;
  let to = other;
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((from[i] as number) >>> shift) & 0xff]!++;
    for (let d = 0, sum = 0; d < 256; d++) {
      const c = counts[d] as number;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = from[i] as number;
      to[counts[(key >>> shift) & 0xff]!++] = key;
    }
    [from, to] = [to, from];
  }
  // Four passes end in `keys`. Backward: value i's eight bytes are keys 2i and 2i + 1, already read.
  for (let i = n - 1; i >= 0; i--) {
    const key = keys[i] as number;
    pattern[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
    data[i] = bits[0] as number;
  }
  return true;
}
