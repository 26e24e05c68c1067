/**
 * Joins message views that sit next to each other in the same chunk back into one view, so a
 * chunk that passes through whole is written with one call and no copy.
 */
export function coalesce(views: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const v of views) {
    const last = out[out.length - 1];
    if (last !== undefined && last.buffer === v.buffer && last.byteOffset + last.length === v.byteOffset) {
      out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + v.length);
    } else {
      out.push(v);
    }
  }
  return out;
}
