/**
 * One /rpc call inside its own transaction on a pooled connection to the proxy: read-only for GET
 * and for STABLE/IMMUTABLE functions, the token's role set with SET LOCAL ROLE, the claims and
 * request facts readable through current_setting('request.*', true), as PostgREST does.
 */
import type pg from 'pg';
import { buildCall } from './call.js';
import { HttpError } from './errors.js';
import type { Identity } from './jwt.js';
import type { ProxyPool } from './pool.js';
import type { ResponseMedia, RpcArgs } from './request.js';
import type { RpcFunction } from './schema-cache.js';

export interface RpcCall {
  fn: RpcFunction;
  args: RpcArgs;
  wholeBody: boolean;
  method: string;
  path: string;
  headers: Record<string, string>;
  identity: Identity;
  media: ResponseMedia;
}

export interface RpcResult {
  status: number;
  /** JSON text; absent for 204. */
  body?: string;
  rows: number;
}

export async function runRpc(pool: ProxyPool, call: RpcCall): Promise<RpcResult> {
  const { fn } = call;
  const readOnly = call.method !== 'POST' || fn.volatility !== 'v';
  const singular = call.media === 'object' && (fn.shape === 'setofRow' || fn.shape === 'setofScalar');
  const { sql, params } = buildCall(fn, call.args.args, call.wholeBody ? call.args.body : undefined, singular);

  return pool.withClient(async (client) => {
    try {
      await client.query(setupSql(client, call, readOnly));
      const result = await client.query<{ body: string | null; n: number }>(sql, params);
      const rows = fn.shape === 'void' ? 0 : (result.rows[0]?.n ?? 0);
      // Like PostgREST, a non-singular answer to a singular request is rolled back.
      if (singular && rows !== 1) {
        throw new HttpError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned', `The result contains ${rows} rows`);
      }
      await client.query('COMMIT');
      if (fn.shape === 'void') return { status: 204, rows };
      return { status: 200, body: result.rows[0]?.body ?? 'null', rows };
    } catch (error) {
      await rollback(client);
      throw error;
    }
  });
}

/**
 * BEGIN and the request's settings in one round trip. Values are quoted with the driver's
 * escapeLiteral/escapeIdentifier; a failure here (e.g. an unknown role) aborts the transaction.
 */
function setupSql(client: pg.PoolClient, call: RpcCall, readOnly: boolean): string {
  const settings: [string, string][] = [
    ['request.jwt.claims', JSON.stringify(call.identity.claims)],
    ['request.method', call.method],
    ['request.path', call.path],
    ['request.headers', JSON.stringify(call.headers)],
  ];
  const setConfig = settings.map(([name, value]) => `set_config(${client.escapeLiteral(name)}, ${client.escapeLiteral(value)}, true)`);
  return [
    `BEGIN${readOnly ? ' READ ONLY' : ''}`,
    `SET LOCAL ROLE ${client.escapeIdentifier(call.identity.role)}`,
    `SELECT ${setConfig.join(', ')}`,
  ].join('; ');
}

async function rollback(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch {
    // The connection is gone; the pool discards it when the original error is connection-level.
  }
}
