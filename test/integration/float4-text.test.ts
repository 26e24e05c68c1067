// float4out's text as the proxy writes it (src/wire/float4-shortest.ts over float4-text.wat, a port of Postgres's
// Ryu f2s.c) against the real Postgres writing the same float4 values: every value, and whole
// real[] arrays (array_out), byte for byte, at each extra_float_digits that writes shortest
// digits (1, the default, 2 and 3). The values are sent as the float8 text that reads back as
// exactly that float4 (JavaScript's shortest double digits), cast to real by the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { TypeOid } from '../../src/wire/types.js';
import { encodeValue } from '../../src/wire/values.js';
import { float4Text } from '../../src/wire/float4-shortest.js';

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

function float4OfBits(w: number): number {
  word[0] = w >>> 0;
  return bits[0]!;
}

function bitsOf(x: number): number {
  bits[0] = x;
  return word[0]!;
}

/** mulberry32: the same values in every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Float4 values of both signs where shortest-digit printers go wrong, and random bit patterns. */
function values(): number[] {
  const words: number[] = [];
  const around = (w: number, radius: number) => {
    for (let d = -radius; d <= radius; d++) if (w + d >= 0 && w + d < 0x7f800000) words.push(w + d);
  };
  const random = seeded(16);
  for (let i = 0; i < 150_000; i++) words.push(random() & 0x7fffffff);
  // Subnormals: the smallest ones, around the largest, a stride through the rest.
  for (let w = 1; w < 3000; w++) words.push(w);
  around(0x7fffff, 50);
  for (let w = 1; w < 0x800000; w += 4099) words.push(w);
  // Every power of two (the float4 below is half as far away), the largest finite value.
  for (let e = 1; e < 255; e++) around(e << 23, 12);
  around(0x7f7fffff, 12);
  // Powers of ten, and integers: all below 2^24 print every digit (f2s.c's small-integer path).
  for (let k = -45; k <= 38; k++) around(bitsOf(Number(`1e${k}`)), 40);
  for (let n = 0; n <= 2 ** 24 + 64; n += n < 5000 ? 1 : n < 2 ** 24 - 64 ? 7919 : 1) words.push(bitsOf(n));
  for (const n of [999_999, 1_000_000, 1_000_001, 9_999_999, 10_000_000, 123_456_789, 2 ** 31]) around(bitsOf(n), 3);
  const out = words.map((w) => float4OfBits(w));
  return [...out, ...out.map((x) => -x), 0, -0, Number.NaN, Infinity, -Infinity];
}

/** float8 text that the server reads as exactly x (a float4 value is a double too). */
function exactText(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return Number.isNaN(x) ? 'NaN' : String(x);
}

let cluster: PgCluster;
let client: pg.Client;
const VALUES = values();

before(async () => {
  cluster = await startPgCluster();
  client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
});

after(async () => {
  await client.end();
  cluster.stop();
});

for (const digits of [1, 2, 3]) {
  test(`every float4 value as the server writes it, extra_float_digits = ${digits}`, async () => {
    await client.query(`SET extra_float_digits = ${digits}`);
    const { rows } = await client.query<{ text: string }>(`SELECT x::real::text AS text FROM unnest($1::float8[]) WITH ORDINALITY AS t(x, i) ORDER BY i`, [
      `{${VALUES.map(exactText).join(',')}}`,
    ]);
    assert.equal(rows.length, VALUES.length);
    let differ = 0;
    const examples: string[] = [];
    VALUES.forEach((x, i) => {
      const ours = float4Text(x);
      if (ours === rows[i]!.text) return;
      differ += 1;
      if (examples.length < 10) examples.push(`bits ${bitsOf(x).toString(16)}: server ${rows[i]!.text}, ours ${ours}`);
    });
    assert.equal(differ, 0, `${differ} of ${VALUES.length} differ:\n${examples.join('\n')}`);
  });
}

test('a real[] as array_out writes it, from numbers and from a Float32Array', async () => {
  await client.query('RESET extra_float_digits');
  const chunk = VALUES.slice(0, 20_000);
  const { rows } = await client.query<{ text: string }>(`SELECT $1::float8[]::real[]::text AS text`, [`{${chunk.map(exactText).join(',')}}`]);
  assert.equal(encodeValue(TypeOid._float4, 0, chunk)!.toString('latin1'), rows[0]!.text);
  assert.equal(encodeValue(TypeOid._float4, 0, Float32Array.from(chunk))!.toString('latin1'), rows[0]!.text);
});
