// Runs the built proxy (dist/cli.js) as a child process, the way users and CI run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit } from './cleanup.js';
import { freePort } from './ports.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_PATH = join(REPO_ROOT, 'dist', 'cli.js');

const LISTENING = /^pgml-proxy listening on postgres:\/\/([^\s:]+):(\d+)\s*$/m;
/** Node's flags as `npm start` and the Docker image give them (README, "Running against your Postgres"). */
const PROXY_NODE_FLAGS = ['--min-semi-space-size=16'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ProxyProcess {
  host: string;
  port: number;
  url(user?: string, password?: string, database?: string): string;
  /** http://host:port of the HTTP endpoint, when started with `http: true`. */
  httpUrl?: string;
  /** The proxy's process id (benchmarks read its memory from /proc). */
  pid: number;
  /** False once the process has exited: tests assert the proxy survives misbehaving clients. */
  isAlive(): boolean;
  /** stderr so far, to attach to failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ProxyOptions {
  /** postgres:// URL of the upstream; omitted means embedded PGlite in dataDir. */
  upstream?: string;
  dataDir?: string;
  extraArgs?: string[];
  /** Added to the proxy's environment (e.g. PGPASSFILE). */
  env?: Record<string, string>;
  /** Serve HTTP (/rpc, /metrics) on a free port instead of `--http off`. */
  http?: boolean;
  /** Another build's cli.js (a benchmark comparing two commits); this checkout's dist/cli.js by default. */
  cliPath?: string;
}

export async function startProxy(options: ProxyOptions): Promise<ProxyProcess> {
  const cliPath = options.cliPath ?? CLI_PATH;
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const host = '127.0.0.1';
  const port = await freePort();
  const httpPort = options.http ? await freePort() : undefined;
  const args = [cliPath, '--listen', `${host}:${port}`, '--http', httpPort ? `${host}:${httpPort}` : 'off'];
  if (options.upstream) args.push('--upstream', options.upstream);
  if (options.dataDir) args.push('--data-dir', options.dataDir);
  args.push(...(options.extraArgs ?? []));

  // PGML_PROXY_NODE_ARGS: extra Node flags for the proxy process, e.g. `--cpu-prof` to profile a benchmark;
  // they come after PROXY_NODE_FLAGS, so `--min-semi-space-size=0` measures V8's default young generation.
  const nodeArgs = (process.env.PGML_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, ...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const forgetExitHook = onExit(() => child.kill('SIGKILL'));

  try {
    await waitForListening(child, () => stdout, () => stderr);
  } catch (err) {
    forgetExitHook();
    child.kill('SIGKILL');
    throw err;
  }

  return {
    host,
    port,
    ...(httpPort ? { httpUrl: `http://${host}:${httpPort}` } : {}),
    url: (user = 'postgres', password, database = 'postgres') =>
      `postgres://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${port}/${database}`,
    pid: child.pid!,
    isAlive: () => child.exitCode === null && child.signalCode === null,
    output: () => stderr,
    stop: async () => {
      forgetExitHook();
      await stopChild(child);
    },
  };
}

function waitForListening(child: ChildProcess, stdout: () => string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`proxy did not print its listening line in time\n${stderr()}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      if (LISTENING.test(stdout())) finish();
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`proxy exited before listening (code ${code}, signal ${signal})\n${stdout()}\n${stderr()}`));
    function finish(err?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
