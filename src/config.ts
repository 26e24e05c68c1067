import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `Usage: pgml-proxy [options]

A PostgreSQL wire-protocol proxy that evaluates PostgresML-compatible pgml.* and
pg_cron-compatible cron.* calls itself and passes all other SQL to Postgres.

Options:
  --listen HOST:PORT     where clients connect (default 127.0.0.1:6432; env PGML_LISTEN)
  --upstream URL         postgres:// URL of the upstream Postgres (env DATABASE_URL);
                         without it an embedded Postgres (PGlite) is used
  --data-dir PATH        embedded Postgres data directory (default ./.pgml-data)
  --http HOST:PORT|off   HTTP endpoint (default 127.0.0.1:8080)
  --tls-cert PATH        PEM certificate: accept SSLRequest and speak TLS to clients
  --tls-key PATH         PEM private key for --tls-cert
  --grace-seconds N      on SIGTERM, how long running statements may finish (default 10)
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
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    graceSeconds: z.coerce.number().min(0).max(3600),
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
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'grace-seconds': { type: 'string' },
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
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    graceSeconds: values['grace-seconds'] ?? '10',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : '';
    throw new ConfigError(`${flag}${issue?.message ?? 'invalid configuration'}`);
  }
  return parsed.data;
}
