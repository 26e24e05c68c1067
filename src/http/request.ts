/**
 * Reading an /rpc request: the body (bounded), its arguments, the media type asked for, and the
 * schema chosen with Accept-Profile / Content-Profile — with PostgREST's error for each mistake.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** A client that keeps sending after 413 is cut off once this much was discarded. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

export type ResponseMedia = 'json' | 'object';

export const OBJECT_MEDIA_TYPE = 'application/vnd.pgrst.object+json';

export interface RpcArgs {
  /** Named arguments. */
  args: Map<string, unknown>;
  /** The raw JSON body of a POST, for a function with a single unnamed json/jsonb parameter. */
  body?: string;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): HttpError =>
      new HttpError(413, 'PGRST102', 'Request body too large', `The limit is ${limit} bytes`, 'Raise the limit with --http-max-body');
    const declared = Number(req.headers['content-length'] ?? NaN);
    const chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    const fail = (): void => {
      failed = true;
      chunks.length = 0;
      reject(tooLarge());
    };
    if (declared > limit) fail();
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Keep reading what is sent after the refusal, so the client gets to read the 413.
      if (failed) {
        if (received > MAX_DISCARD_BYTES) req.destroy();
        return;
      }
      if (received > limit) return fail();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/** Reads and drops a body nobody needs, so the client can send it all and read the response. */
export function discardBody(req: IncomingMessage): void {
  if (req.complete) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) req.destroy();
  });
  req.resume();
}

/** Arguments of a POST from its body, by Content-Type. */
export function bodyArgs(contentType: string | undefined, body: Buffer): RpcArgs {
  const media = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || media === '') return jsonArgs(body.toString('utf8'));
  if (media === 'application/x-www-form-urlencoded') return { args: queryArgs(new URLSearchParams(body.toString('utf8'))) };
  throw new HttpError(415, 'PGRST107', `Content-Type not acceptable: ${media}`, null, 'Send application/json or application/x-www-form-urlencoded');
}

function jsonArgs(text: string): RpcArgs {
  // PostgREST calls a function with no arguments for an empty body.
  if (text.trim() === '') return { args: new Map(), body: '{}' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'PGRST102', 'Empty or invalid json', error instanceof Error ? error.message : null);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new HttpError(400, 'PGRST102', 'Invalid request body: the arguments must be a JSON object', `The body is ${kind}`);
  }
  return { args: new Map(Object.entries(value)), body: text };
}

/** GET arguments: a repeated name (for VARIADIC parameters) becomes an array. */
export function queryArgs(params: URLSearchParams): Map<string, unknown> {
  const args = new Map<string, unknown>();
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    args.set(name, values.length === 1 ? values[0] : values);
  }
  return args;
}

/** The first media type in Accept that /rpc can produce. */
export function responseMedia(accept: string | undefined): ResponseMedia {
  if (accept === undefined || accept.trim() === '') return 'json';
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  for (const type of types) {
    if (type === OBJECT_MEDIA_TYPE || type === 'application/vnd.pgrst.object') return 'object';
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
  }
  throw new HttpError(406, 'PGRST107', `None of these media types are available: ${types.join(', ')}`);
}

/** The schema a request addresses: the first exposed one unless a profile header names another. */
export function requestSchema(profile: string | undefined, schemas: readonly string[]): string {
  if (profile === undefined || profile === '') return schemas[0]!;
  if (!schemas.includes(profile)) {
    throw new HttpError(406, 'PGRST106', `The schema must be one of the following: ${schemas.join(', ')}`);
  }
  return profile;
}
