// reference.py --serve: one Python process that fits the reference of one cell when asked, so that run.ts fits each
// cell's reference right after the proxy's training of it, in the same seconds (the same load, the same Postgres
// background work), instead of every reference after every proxy cell.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FitThread } from './noise.js';

export interface ReferenceCell {
  fit_time?: number;
  metric?: number;
  error?: string;
  fit_thread?: FitThread;
  /** Interleaved runs: the proxy process's CPU during this reference fit (run.ts). */
  proxy_cpu_ms_meanwhile?: number;
}

export class ReferenceServer {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ReturnType<typeof spawn>, readonly versions: { sklearn: string; lightgbm: string }, lines: AsyncIterator<string>) {
    this.lines = lines;
  }

  static async start(python: string, script: string, specPath: string): Promise<ReferenceServer> {
    const child = spawn(python, [script, '--serve', specPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error('reference.py --serve ended before it was ready');
    return new ReferenceServer(child, JSON.parse(first.value) as { sklearn: string; lightgbm: string }, lines);
  }

  async fit(cell: { dataset: string; algorithm: string; hyperparams: Record<string, unknown> }): Promise<ReferenceCell> {
    this.child.stdin!.write(`${JSON.stringify(cell)}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error(`reference.py --serve ended during ${cell.dataset}/${cell.algorithm}`);
    return JSON.parse(line.value) as ReferenceCell;
  }

  /** A run that failed: the process is not left waiting for cells. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}
