/**
 * Runs one job's command through pgml-proxy's own listener, so pgml.* and cron.* calls inside
 * jobs are evaluated exactly as a client's would be. Like pg_cron, each run gets a fresh
 * connection, the command is sent as one simple query (several statements allowed), and the
 * outcome is the last command tag, `N row(s)`, or the error.
 *
 * Like pg_cron without background workers, the connection logs in as the job's own user: with a
 * real upstream the proxy relays that login, so the upstream authenticates the user and enforces
 * their privileges for the whole session, and nothing in the command (RESET SESSION
 * AUTHORIZATION, SET ROLE, a function doing either) can step outside them. Where the password
 * comes from is the caller's choice (see `JobLogin`).
 */
import net from 'node:net';
import pg from 'pg';
import { fromPgResult } from '../db/pg-result.js';
import type { Queryable } from '../db/queryable.js';
// The job's command is expanded with the proxy's own parser and function catalog (see
// src/sql/expand-call.ts), which sessions use too.
import type { FunctionCatalog } from '../sql/index.js';
import { expandCommand } from '../sql/index.js';
import { libpqErrorMessage, type ErrorFields } from './libpq-message.js';

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

/** The credentials a job's connection logs in with. */
export interface JobLogin {
  user: string;
  /** Undefined: node-postgres looks for one (PGPASSWORD, then PGPASSFILE or ~/.pgpass). */
  password?: string | undefined;
}

export interface ProxyAddress {
  host: string;
  port: number;
  /** Who a job owned by `username` logs in as. */
  loginFor(username: string): JobLogin;
}

/** pg_cron's return_message for a command that starts a COPY to or from the client. */
export const COPY_NOT_SUPPORTED = 'COPY not supported';

/** Grace after a cancel before the connection is cut, for work the upstream cannot interrupt. */
const CANCEL_GRACE_MS = 1000;

export class ProxyJobRunner implements JobRunner {
  constructor(
    private readonly address: ProxyAddress,
    private readonly catalog: FunctionCatalog,
  ) {}

  async run(job: JobToRun, options: RunOptions): Promise<RunOutcome> {
    const login = this.address.loginFor(job.username);
    const client = new pg.Client({
      host: this.address.host,
      port: this.address.port,
      user: login.user,
      password: login.password,
      database: job.database,
      application_name: 'pg_cron',
    });
    client.on('error', () => {});
    const backend = client as unknown as { processID: number | null; secretKey: number | null };
    const tags = new TagRecorder(client);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let killer: NodeJS.Timeout | undefined;
    // The text last sent, which an error's position points into (libpq's last_query).
    let sent = '';
    const send = (sql: string, params: readonly unknown[] = []) => {
      sent = sql;
      return client.query(sql, params as unknown[]);
    };
    const work = async (): Promise<RunOutcome> => {
      try {
        await client.connect();
      } catch (error) {
        return connectionFailure(error);
      }
      await options.onConnected(backend.processID);
      const session: Queryable = { query: async (sql, params = []) => fromPgResult(await send(sql, params)) };
      const expansion = await expandCommand(session, job.command, this.catalog);
      switch (expansion.kind) {
        case 'refused':
          return {
            succeeded: false,
            message: libpqErrorMessage(
              { severity: 'ERROR', message: `pgml-proxy cannot run ${expansion.function} for a job: ${expansion.reason}` },
              job.command,
            ),
          };
        case 'expanded':
          await send('BEGIN');
          for (const statement of expansion.statements) await send(statement);
          await send('COMMIT');
          // What the original `SELECT fn()` returns: one row.
          return { succeeded: true, message: '1 row' };
        case 'asIs':
          tags.reset();
          try {
            await send(job.command);
          } catch (error) {
            // COPY FROM STDIN fails for want of data (node-postgres sends CopyFail).
            if (!tags.sawCopy) throw error;
          }
          // pg_cron's GetTaskFeedback gives up at a COPY result: a job has no data to send or read.
          if (tags.sawCopy) return { succeeded: false, message: COPY_NOT_SUPPORTED };
          return { succeeded: true, message: tags.message() };
      }
    };

    const outcome = new Promise<RunOutcome>((resolve) => {
      work().then(resolve, (error: unknown) => resolve({ succeeded: false, message: errorText(error, sent) }));
      if (options.timeoutMs !== null) {
        timer = setTimeout(() => {
          timedOut = true;
          if (backend.processID !== null && backend.secretKey !== null) {
            sendCancel(this.address.host, this.address.port, backend.processID, backend.secretKey);
          }
          killer = setTimeout(() => (client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy(), CANCEL_GRACE_MS);
        }, options.timeoutMs);
      }
    });
    try {
      return settle(await outcome, timedOut ? options.timeoutMs : null);
    } finally {
      clearTimeout(timer);
      clearTimeout(killer);
      await client.end().catch(() => {});
    }
  }
}

/**
 * The run's outcome once its work has returned: a run cut short by its timeout failed, whatever
 * the cancelled work reported (usually `canceling statement due to user request`).
 */
export function settle(work: RunOutcome, timedOutAfterMs: number | null): RunOutcome {
  if (timedOutAfterMs === null) return work;
  return { succeeded: false, message: libpqErrorMessage({ severity: 'ERROR', message: `job exceeded its timeout of ${timedOutAfterMs} ms` }, '') };
}

/**
 * pg_cron records a failed login as `connection failed` and leaves the reason to the server log;
 * the reason is kept here too (wrong password, NOLOGIN role, no pg_hba entry), since the proxy's
 * log is further from whoever reads cron.job_run_details.
 */
export function connectionFailure(error: unknown): RunOutcome {
  const fromServer = typeof error === 'object' && error !== null && 'severity' in error;
  return { succeeded: false, message: `connection failed: ${fromServer ? errorText(error, '') : describe(error)}` };
}

/**
 * The last result of a simple query, as pg_cron's GetTaskFeedback reads it: a command's whole
 * tag, or a statement's rows; an empty query (no statement at all) counts as 0 rows.
 */
export type LastResult = { kind: 'tag'; tag: string; hadRows: boolean } | { kind: 'empty' };

/** pg_cron's message for the last result: `N row(s)` after rows or an empty query, else the whole tag. */
export function commandMessage(last: LastResult): string {
  if (last.kind === 'empty') return '0 rows';
  if (!last.hadRows) return last.tag;
  const rows = Number(last.tag.split(' ').at(-1));
  return `${rows} ${rows === 1 ? 'row' : 'rows'}`;
}

/**
 * Records each CommandComplete of the simple query: pg's Result keeps only the first word of a
 * tag (`CREATE` for `CREATE TABLE`), pg_cron reports the whole tag of the last statement.
 */
class TagRecorder {
  private last: LastResult = { kind: 'tag', tag: '', hadRows: false };
  private rowsPending = false;
  /** A statement began a COPY with the client (CopyInResponse or CopyOutResponse). */
  sawCopy = false;

  constructor(client: pg.Client) {
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('rowDescription', () => (this.rowsPending = true));
    connection.on('commandComplete', (msg: { text: string }) => {
      this.last = { kind: 'tag', tag: msg.text, hadRows: this.rowsPending };
      this.rowsPending = false;
    });
    connection.on('emptyQuery', () => (this.last = { kind: 'empty' }));
    connection.on('copyInResponse', () => (this.sawCopy = true));
    connection.on('copyOutResponse', () => (this.sawCopy = true));
  }

  reset(): void {
    this.last = { kind: 'tag', tag: '', hadRows: false };
    this.rowsPending = false;
    this.sawCopy = false;
  }

  message(): string {
    return commandMessage(this.last);
  }
}

/**
 * libpq's whole error message, which pg_cron stores (see libpq-message.ts); `sent` is the text
 * the error's position points into. An error that is not the server's (a dropped socket) keeps
 * its own message under ERROR.
 */
export function errorText(error: unknown, sent: string): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Partial<ErrorFields>;
  const message = typeof e.message === 'string' ? e.message : String(error);
  return libpqErrorMessage(
    {
      severity: e.severity ?? 'ERROR',
      message,
      detail: e.detail,
      hint: e.hint,
      position: e.position,
      internalPosition: e.internalPosition,
      internalQuery: e.internalQuery,
      where: e.where,
    },
    sent,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
