import { parseArgs } from 'node:util';
import { totalmem } from 'node:os';
import { z } from 'zod';
import { DEFAULT_LATENCY_SPIN_US } from './pgml/embeddings/spinning.js';
import { DEFAULT_READ_MB_PER_SECOND } from './pgml/training/settings.js';

/** A quarter of the machine's memory: room for the proxy, Postgres and a fit on each core. */
const DEFAULT_FIT_MEMORY_MB = Math.max(256, Math.floor(totalmem() / 4 / (1024 * 1024)));

export const USAGE = `Usage: pgml-proxy [options]

A PostgreSQL wire-protocol proxy that evaluates PostgresML-compatible pgml.* and
pg_cron-compatible cron.* calls itself and passes all other SQL to Postgres.

Options:
  --listen HOST:PORT     where clients connect (default 127.0.0.1:6432; env PGML_LISTEN)
  --upstream URL         postgres:// URL of the upstream Postgres (env DATABASE_URL);
                         without it an embedded Postgres (PGlite) is used
  --data-dir PATH        embedded Postgres data directory (default ./.pgml-data)
  --http HOST:PORT|off   HTTP endpoint (default 127.0.0.1:8080)
  --http-prefix PATH     path prefix of /rpc, e.g. /rest/v1 (default none)
  --dashboard on|off     serve the dashboard at /dashboard on the HTTP endpoint (default on)
  --http-schemas LIST    comma list of schemas whose functions /rpc exposes (default public)
  --jwt-secret SECRET    HS256 secret for Bearer tokens, 32+ characters (env PGML_JWT_SECRET)
  --anon-role ROLE       role for HTTP requests without a token (default: refuse them)
  --http-pool-size N     connections HTTP requests share (default 10)
  --http-pool-timeout S  seconds a request waits for one before 503 (default 10)
  --http-max-body BYTES  largest accepted request body (default 1048576)
  --models-dir PATH      where pgml.embed/transform look for models first (env PGML_MODELS_DIR)
  --allow-downloads      let pgml.embed/transform download missing models from the Hugging Face hub
  --tls-cert PATH        PEM certificate: accept SSLRequest and speak TLS to clients
  --tls-key PATH         PEM private key for --tls-cert
  --grace-seconds N      on SIGTERM, how long running statements may finish (default 10)
  --auth-timeout S       seconds a client may take to authenticate (default 60, as Postgres)
  --fit-memory-mb N      memory of one training: its data (the float32 feature matrix; a larger
                         relation is refused before it is read) and its fit's heap, each; crossing
                         either fails with 53200 (default a quarter of the machine's memory;
                         env PGML_FIT_MEMORY_MB)
  --train-progress-seconds S  how often a long pgml.train reports progress (default 10)
  --train-read-mb-per-second N  while other sessions of the proxy are active, the pace of a
                         training's read of its relation, in MB of rows per second, so that it
                         leaves them CPU; alone it reads at full speed (default 8; 0 never paces;
                         env PGML_TRAIN_READ_MB_PER_SECOND)
  --embed-spin-us N      after a single text's pgml.embed, how long in microseconds onnxruntime's
                         thread keeps polling for the next one before it sleeps: a sleeping thread
                         is woken more slowly (default 0: it sleeps at once; env PGML_EMBED_SPIN_US)
  --help                 show this help
`;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/, 'expected HOST:PORT')
  .transform((value) => {
    const i = value.lastIndexOf(':');
    const host = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    return { host, port: Number(value.slice(i + 1)) };
  })
  .refine((a) => a.port > 0 && a.port < 65536, 'port must be 1-65535');

const upstreamUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'expected a postgres:// URL');

const ConfigSchema = z
  .object({
    listen: hostPort,
    upstream: upstreamUrl.optional(),
    dataDir: z.string().min(1),
    http: z.union([z.literal('off'), hostPort]),
    dashboard: z.enum(['on', 'off']).transform((v) => v === 'on'),
    httpPrefix: z
      .string()
      .regex(/^(\/[^/?#\s]+)*\/?$/, 'expected a path such as /rest/v1')
      .transform((p) => p.replace(/\/$/, '')),
    httpSchemas: z
      .string()
      .transform((list) => list.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.length > 0, 'name at least one schema'),
    jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
    anonRole: z.string().min(1).optional(),
    httpPoolSize: z.coerce.number().int().min(1).max(1000),
    httpPoolTimeout: z.coerce.number().positive().max(3600),
    httpMaxBody: z.coerce.number().int().min(1),
    modelsDir: z.string().min(1).optional(),
    allowDownloads: z.boolean(),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    graceSeconds: z.coerce.number().min(0).max(3600),
    authTimeout: z.coerce.number().min(1).max(600),
    fitMemoryMb: z.coerce.number().int().min(64).max(1024 * 1024),
    trainProgressSeconds: z.coerce.number().min(0).max(3600),
    trainReadMbPerSecond: z.coerce.number().min(0).max(1024 * 1024),
    embedSpinUs: z.coerce.number().int().min(0).max(1_000_000),
  })
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), '--tls-cert and --tls-key go together');

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Reads flags and environment; throws ConfigError with a one-line reason. Returns null for --help. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        listen: { type: 'string' },
        upstream: { type: 'string' },
        'data-dir': { type: 'string' },
        http: { type: 'string' },
        'http-prefix': { type: 'string' },
        dashboard: { type: 'string' },
        'http-schemas': { type: 'string' },
        'jwt-secret': { type: 'string' },
        'anon-role': { type: 'string' },
        'http-pool-size': { type: 'string' },
        'http-pool-timeout': { type: 'string' },
        'http-max-body': { type: 'string' },
        'models-dir': { type: 'string' },
        'allow-downloads': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'grace-seconds': { type: 'string' },
        'auth-timeout': { type: 'string' },
        'fit-memory-mb': { type: 'string' },
        'train-progress-seconds': { type: 'string' },
        'train-read-mb-per-second': { type: 'string' },
        'embed-spin-us': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return null;
  const parsed = ConfigSchema.safeParse({
    listen: values.listen ?? env.PGML_LISTEN ?? '127.0.0.1:6432',
    upstream: values.upstream ?? (env.DATABASE_URL || undefined),
    dataDir: values['data-dir'] ?? './.pgml-data',
    http: values.http ?? '127.0.0.1:8080',
    dashboard: values.dashboard ?? 'on',
    httpPrefix: values['http-prefix'] ?? '',
    httpSchemas: values['http-schemas'] ?? 'public',
    jwtSecret: values['jwt-secret'] ?? (env.PGML_JWT_SECRET || undefined),
    anonRole: values['anon-role'],
    httpPoolSize: values['http-pool-size'] ?? '10',
    httpPoolTimeout: values['http-pool-timeout'] ?? '10',
    httpMaxBody: values['http-max-body'] ?? '1048576',
    modelsDir: values['models-dir'] ?? (env.PGML_MODELS_DIR || undefined),
    allowDownloads: values['allow-downloads'] === true,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    graceSeconds: values['grace-seconds'] ?? '10',
    authTimeout: values['auth-timeout'] ?? '60',
    fitMemoryMb: values['fit-memory-mb'] ?? (env.PGML_FIT_MEMORY_MB || String(DEFAULT_FIT_MEMORY_MB)),
    trainProgressSeconds: values['train-progress-seconds'] ?? '10',
    trainReadMbPerSecond: values['train-read-mb-per-second'] ?? (env.PGML_TRAIN_READ_MB_PER_SECOND || String(DEFAULT_READ_MB_PER_SECOND)),
    embedSpinUs: values['embed-spin-us'] ?? (env.PGML_EMBED_SPIN_US || String(DEFAULT_LATENCY_SPIN_US)),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : '';
    throw new ConfigError(`${flag}${issue?.message ?? 'invalid configuration'}`);
  }
  return parsed.data;
}
