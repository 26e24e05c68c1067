/**
 * The fast path's only look at a statement: does its text mention "pgml" or "cron" anywhere
 * (case-insensitive)? Only then is the SQL decoded and parsed. Works on the raw message bytes.
 */
const P = 0x70;
const C = 0x63;

export function mentionsInterceptedSchema(message: Buffer, start = 5): boolean {
  const end = message.length - 3;
  for (let i = start; i < end; i++) {
    // OR 0x20 lower-cases ASCII letters; non-letters never match the lower-case targets below.
    const b = message[i]! | 0x20;
    if (b === P) {
      if ((message[i + 1]! | 0x20) === 0x67 && (message[i + 2]! | 0x20) === 0x6d && (message[i + 3]! | 0x20) === 0x6c) return true;
    } else if (b === C) {
      if ((message[i + 1]! | 0x20) === 0x72 && (message[i + 2]! | 0x20) === 0x6f && (message[i + 3]! | 0x20) === 0x6e) return true;
    }
  }
  return false;
}
