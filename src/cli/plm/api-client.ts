import { ApiError, UnreachableError, UsageError } from './cli-errors';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const REQUEST_TIMEOUT_MS = 30_000;

/** Where the service is and who is asking: `--url`/`PLM_URL` and `--token`/`PLM_TOKEN`. */
export interface Connection {
  url: string;
  token: string | undefined;
}

type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

interface RequestOptions {
  query?: Query;
  /** A JSON body; `rawBody` sends the bytes as given (a signed hook must be sent exactly as signed). */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** Send the bearer token (every route but hooks). */
  authenticated?: boolean;
}

/** The admin API over fetch. Every answer is JSON; an error answer becomes an `ApiError`. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly connection: Connection) {
    this.baseUrl = connection.url.replace(/\/+$/, '');
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.authenticated !== false) headers.authorization = `Bearer ${this.requireToken()}`;
    let payload = options.rawBody;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const target = this.baseUrl + path + queryString(options.query);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new UnreachableError(this.baseUrl, networkReason(err));
    }
    const text = await response.text();
    const json = parseJson(text);
    if (response.ok && json.ok) return json.value as T;
    throw toApiError(response.status, json.ok ? json.value : undefined, text, { method, path });
  }

  /** The bearer token, or a usage error that says where to find one. */
  requireToken(): string {
    if (this.connection.token) return this.connection.token;
    throw new UsageError(
      'no API token: set PLM_TOKEN (or --token) to a bearer token of the service',
      'in development the admin token is "adminToken" in var/secrets.json (e.g. ' +
        `export PLM_TOKEN=$(node -p "require('./var/secrets.json').adminToken")); ` +
        'otherwise use ADMIN_TOKEN, VIEWER_TOKEN or a token from auth.tokens in the configuration',
    );
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!text) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function toApiError(status: number, body: unknown, text: string, request: { method: string; path: string }): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(status, error.code, String(error.message ?? error.code), error.details ?? null, request, body);
  }
  const excerpt = text.slice(0, 120).replace(/\s+/g, ' ');
  const message = `HTTP ${status}: the answer is not the service's JSON${excerpt ? ` (${excerpt})` : ''}`;
  return new ApiError(status, 'not_the_service', message, null, request, body ?? null);
}

/** Why fetch got no answer, from undici's `cause` (ECONNREFUSED, ENOTFOUND …) or the time-out. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
