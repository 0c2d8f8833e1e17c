/**
 * The console reads and writes through the admin API itself, over HTTP to this process's own loopback listener, with
 * the signed-in token as bearer: roles, validation, error shapes and the audit trail's actor are exactly the API's.
 */

/** An API answer: its status and JSON body (null for 204). */
export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** The contract's error body. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiClient {
  /** `baseUrl` is asked at each call: the loopback listener starts after the console is built. */
  constructor(
    private readonly baseUrl: () => string | null,
    private readonly token: string,
  ) {}

  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<ApiAnswer<T>> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, value);
    const search = params.size > 0 ? `?${params}` : '';
    return this.call<T>('GET', path + search);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const base = this.baseUrl();
    if (!base) throw new Error('the console API listener is not running');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
}

export function isApiError(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object';
}

/** Encodes a path segment (ids, keys) for an API path. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
