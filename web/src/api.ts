/** The dashboard's JSON API (src/dashboard/index.ts), on the viewer's session cookie. */
export interface SessionInfo {
  role: string;
  database: string;
  csrf: string;
  embedded: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let csrf = '';

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!response.ok) {
    const code = typeof body.code === 'string' ? body.code : undefined;
    throw new ApiError(response.status, String(body.message ?? response.statusText), code);
  }
  return body as T;
}

export async function session(): Promise<SessionInfo> {
  const info = await answer<SessionInfo>(await fetch('/dashboard/api/session'));
  csrf = info.csrf;
  return info;
}

export async function login(user: string, password: string, database: string): Promise<SessionInfo> {
  const response = await fetch('/dashboard/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, password, database }),
  });
  const info = await answer<SessionInfo>(response);
  csrf = info.csrf;
  return info;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(`/dashboard/api/${path}`));
}

/** Actions carry the session's CSRF token. */
export async function post<T>(path: string): Promise<T> {
  return answer<T>(await fetch(`/dashboard/api/${path}`, { method: 'POST', headers: { 'X-CSRF-Token': csrf } }));
}
