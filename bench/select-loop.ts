// The event loop's health during a benchmark: a SELECT 1 loop on its own connection, and its p99.
import pg from 'pg';

/**
 * Latencies (ms) of SELECT 1 on its own connection until `stop` resolves; `starts`, when given,
 * receives each query's start (epoch ms), to cut the loop into phases.
 */
export async function selectLoop(url: string, stop: Promise<unknown>, starts?: number[]): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const latencies: number[] = [];
  let done = false;
  void stop.finally(() => (done = true));
  try {
    while (!done) {
      const t = performance.now();
      await client.query('SELECT 1');
      latencies.push(performance.now() - t);
      starts?.push(performance.timeOrigin + t);
    }
  } finally {
    await client.end();
  }
  return latencies;
}

/** The 99th percentile, to four significant digits. */
export function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN).toPrecision(4));
}

/** The median, to 4 significant digits (the mean of the middle two of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Number((sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2).toPrecision(4));
}
