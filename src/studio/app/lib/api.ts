/**
 * The one way the Studio talks to Reelay. Paths are relative to this page's origin and must start
 * with a single `/`, so the key can only ever travel to our own API.
 */
export type Credential = { kind: 'key'; value: string } | { kind: 'admin'; value: string };

/** A failed call, carrying the API's envelope: `error`, `code`, `details` (JSON path → messages). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly details: Record<string, string[]>,
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Messages for one JSON path of the request body (`hailuoParams.image`). */
  about(path: string): string[] {
    return this.details[path] ?? [];
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(0, `Cannot reach Reelay (${message})`, 'network', {});
}

export interface Api {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

function authHeaders(cred: Credential): Record<string, string> {
  return cred.kind === 'key' ? { 'X-API-Key': cred.value } : { Authorization: `Bearer ${cred.value}` };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function detailsOf(v: unknown): Record<string, string[]> {
  if (!isRecord(v)) return {};
  const out: Record<string, string[]> = {};
  for (const [k, msgs] of Object.entries(v)) if (Array.isArray(msgs)) out[k] = msgs.map(String);
  return out;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const retry = Number(res.headers.get('retry-after'));
  const env = isRecord(body) ? body : {};
  const { error, code, details, requestId: _r, ...extra } = env;
  const message = typeof error === 'string' ? error : `Reelay answered HTTP ${res.status}`;
  return new ApiError(res.status, message, typeof code === 'string' ? code : 'http_error', detailsOf(details), extra, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/**
 * @example
 * const api = createApi({ kind: 'key', value: 'rl_test_…' }, () => signOut());
 * const me = await api.get<Me>('/v2/me');
 */
export function createApi(cred: Credential, onUnauthorized: (message: string) => void): Api {
  async function call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`refusing to send credentials to ${path}`);
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { ...authHeaders(cred), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw toApiError(err);
    }
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401) onUnauthorized(err.message);
      throw err;
    }
    return (await res.json()) as T;
  }
  return {
    get: (path, signal) => call('GET', path, undefined, signal),
    send: (method, path, body) => call(method, path, body),
  };
}
