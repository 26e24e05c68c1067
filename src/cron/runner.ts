/**
 * Runs one job's command through pgml-proxy's own listener, so pgml.* and cron.* calls inside
 * jobs are evaluated exactly as a client's would be. Like pg_cron, each run gets a fresh
 * connection, the command is sent as one simple query (several statements allowed), and the
 * outcome is the last command tag, `N row(s)`, or the error.
 *
 * The connection logs in with the upstream URL's credentials (the proxy's admin role) and takes
 * on the job owner's identity with SET SESSION AUTHORIZATION, so the owner's privileges and
 * row-level security apply. That role change is what a superuser session can undo, so statements
 * that change the session's identity are refused at the top level of a command; a function the
 * owner writes can still do it (see the README's note on job owners).
 */
import net from 'node:net';
import pg from 'pg';
import type { QueryResult, Queryable } from '../db/queryable.js';
import type { FunctionCatalog } from '../sql/index.js';
import { parseStatements, quoteIdent } from '../sql/index.js';
import { nodeOf, str } from '../sql/ast.js';
import { expandCommand } from './expand.js';

export interface JobToRun {
  jobid: string;
  command: string;
  database: string;
  username: string;
}

export interface RunOutcome {
  succeeded: boolean;
  message: string;
}

export interface RunOptions {
  /** Milliseconds the whole run may take; null for no limit. */
  timeoutMs: number | null;
  /** Called once connected, with the backend process id (pg_cron's job_pid). */
  onConnected(pid: number | null): Promise<void>;
}

export interface JobRunner {
  run(job: JobToRun, options: RunOptions): Promise<RunOutcome>;
}

export interface ProxyAddress {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
  /**
   * Whether the job's session switches to the job owner. Off for embedded PGlite: its one
   * backend is shared by every client, so a session-level role change would leak to them, and
   * every client already runs as that backend's user.
   */
  switchUser: boolean;
}

/** Grace after a cancel before the connection is cut, for work the upstream cannot interrupt. */
const CANCEL_GRACE_MS = 1000;

export class ProxyJobRunner implements JobRunner {
  constructor(
    private readonly address: ProxyAddress,
    private readonly catalog: FunctionCatalog,
  ) {}

  async run(job: JobToRun, options: RunOptions): Promise<RunOutcome> {
    const refusal = identityChange(job.command);
    if (refusal) return { succeeded: false, message: `ERROR:  ${refusal}` };

    const client = new pg.Client({
      host: this.address.host,
      port: this.address.port,
      user: this.address.user,
      password: this.address.password,
      database: job.database,
      application_name: 'pg_cron',
    });
    client.on('error', () => {});
    const tags = new TagRecorder(client);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let killer: NodeJS.Timeout | undefined;
    const work = async (): Promise<RunOutcome> => {
      try {
        await client.connect();
      } catch {
        return { succeeded: false, message: 'connection failed' };
      }
      const internals = client as unknown as { processID: number | null; secretKey: number | null };
      await options.onConnected(internals.processID);
      if (this.address.switchUser && job.username !== this.address.user) {
        await client.query(`SET SESSION AUTHORIZATION ${quoteIdent(job.username)}`);
      }
      const session = queryable(client);
      const expansion = await expandCommand(session, job.command, this.catalog);
      switch (expansion.kind) {
        case 'refused':
          return { succeeded: false, message: `ERROR:  ${expansion.message}` };
        case 'expanded':
          await client.query('BEGIN');
          for (const statement of expansion.statements) await client.query(statement);
          await client.query('COMMIT');
          // What the original `SELECT fn()` returns: one row.
          return { succeeded: true, message: '1 row' };
        case 'asIs':
          tags.reset();
          await client.query(job.command);
          return { succeeded: true, message: tags.message() };
      }
    };

    const outcome = new Promise<RunOutcome>((resolve) => {
      work().then(resolve, (error: unknown) => resolve({ succeeded: false, message: errorText(error) }));
      if (options.timeoutMs !== null) {
        timer = setTimeout(() => {
          timedOut = true;
          const internals = client as unknown as { processID: number | null; secretKey: number | null };
          if (internals.processID !== null && internals.secretKey !== null) {
            sendCancel(this.address.host, this.address.port, internals.processID, internals.secretKey);
          }
          killer = setTimeout(() => (client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy(), CANCEL_GRACE_MS);
        }, options.timeoutMs);
      }
    });
    try {
      const result = await outcome;
      if (timedOut) return { succeeded: false, message: `ERROR:  job exceeded its timeout of ${options.timeoutMs} ms` };
      return result;
    } finally {
      clearTimeout(timer);
      clearTimeout(killer);
      await client.end().catch(() => {});
    }
  }
}

/**
 * Records each CommandComplete of the simple query: pg's Result keeps only the first word of a
 * tag (`CREATE` for `CREATE TABLE`), pg_cron reports the whole tag of the last statement.
 */
class TagRecorder {
  private lastTag = '';
  private lastHadRows = false;
  private rowsPending = false;

  constructor(client: pg.Client) {
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('rowDescription', () => (this.rowsPending = true));
    connection.on('commandComplete', (msg: { text: string }) => {
      this.lastTag = msg.text;
      this.lastHadRows = this.rowsPending;
      this.rowsPending = false;
    });
  }

  reset(): void {
    this.lastTag = '';
    this.lastHadRows = false;
    this.rowsPending = false;
  }

  message(): string {
    if (!this.lastHadRows) return this.lastTag;
    const rows = Number(this.lastTag.split(' ').at(-1));
    return `${rows} ${rows === 1 ? 'row' : 'rows'}`;
  }
}

function queryable(client: pg.Client): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const r = await client.query(sql, params as unknown[]);
      return {
        rows: r.rows as Row[],
        fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
        command: r.command,
        rowCount: r.rowCount ?? 0,
      };
    },
  };
}

/** libpq's wording, which pg_cron stores: `ERROR:  message`. */
function errorText(error: unknown): string {
  const e = error as { severity?: string; message?: string };
  return `${e.severity ?? 'ERROR'}:  ${e.message ?? String(error)}`;
}

/**
 * Statements that would drop the job owner's identity for the proxy's admin role. Parse errors
 * are left to the upstream to report.
 */
function identityChange(command: string): string | null {
  let stmts;
  try {
    stmts = parseStatements(command);
  } catch {
    return null;
  }
  for (const raw of stmts) {
    const set = nodeOf(raw.stmt, 'VariableSetStmt');
    const name = str(set?.name);
    if (set && (set.kind === 'VAR_RESET_ALL' || name === 'session_authorization' || name === 'role')) {
      return 'a cron job may not change its session authorization or role';
    }
    const discard = nodeOf(raw.stmt, 'DiscardStmt');
    if (discard && discard.target === 'DISCARD_ALL') return 'a cron job may not run DISCARD ALL';
  }
  return null;
}

/** A CancelRequest, as any client sends one; the proxy routes it to the job's upstream backend. */
function sendCancel(host: string, port: number, processId: number, secretKey: number): void {
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(processId, 8);
  packet.writeInt32BE(secretKey, 12);
  const socket = net.connect({ host, port }, () => socket.end(packet));
  socket.on('error', () => {});
}
