import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  ModuleConfigurationError,
  UpstreamProtocolError,
  UpstreamUnavailableError,
} from '../../src/domain/upstream-errors';
import type { SecretRedactor } from './secret-redactor';

/** How one licensing server is reached over HTTP. */
export interface HttpTransportOptions {
  url: string;
  /** Deadline of one call, connect to last byte. */
  timeoutMs: number;
  /** Replies larger than this are refused (checked while streaming and again after). */
  maxResponseBytes: number;
  redactor: SecretRedactor;
}

const RETRYABLE_HTTP_STATUSES = new Set([408, 425, 429]);

/**
 * POSTs forms to the licensing server and returns reply bodies. It knows nothing of XML or auth; every failure
 * becomes an upstream error whose message and cause were built here from safe parts only (axios errors carry the
 * request config and body, with the credentials: they are never attached).
 */
export class HttpTransport {
  private readonly http: AxiosInstance;

  constructor(private readonly options: HttpTransportOptions) {
    this.http = axios.create({
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/xml, application/xml' },
      responseType: 'arraybuffer',
      timeout: options.timeoutMs,
      maxContentLength: options.maxResponseBytes,
      maxBodyLength: options.maxResponseBytes,
      maxRedirects: 0,
      decompress: true,
      validateStatus: () => true,
    });
  }

  /**
   * Sends one form and resolves with the body of a 2xx reply.
   * @param maxResponseBytes this call's reply-size cap, when it is not the transport's (e.g. the license list).
   * @throws UpstreamUnavailableError on network failure, time-out, dropped connection, 5xx, 408 or 429.
   * @throws UpstreamProtocolError on a reply too large or any other HTTP status.
   */
  async post(form: URLSearchParams, func: string, maxResponseBytes = this.options.maxResponseBytes): Promise<string> {
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.post(this.options.url, form.toString(), {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        maxContentLength: maxResponseBytes,
      });
    } catch (error) {
      throw this.translateFailure(error, func, maxResponseBytes);
    }
    this.checkStatus(response.status, func);
    return this.readBody(response.data, func, maxResponseBytes);
  }

  private checkStatus(status: number, func: string): void {
    if (status >= 200 && status < 300) return;
    if (status >= 500 || RETRYABLE_HTTP_STATUSES.has(status)) {
      throw new UpstreamUnavailableError(`The licensing server answered ${func} with HTTP ${status}`);
    }
    throw new UpstreamProtocolError(`The licensing server answered ${func} with unexpected HTTP ${status}`);
  }

  private readBody(data: unknown, func: string, maxResponseBytes: number): string {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : '');
    if (bytes.length > maxResponseBytes) throw this.tooLarge(func, maxResponseBytes);
    return bytes.toString('utf8');
  }

  private translateFailure(error: unknown, func: string, maxResponseBytes: number): Error {
    const code = errorCode(error);
    const safeCause = new Error(this.options.redactor.redact(`${code ?? 'no code'}: ${errorMessage(error)}`));
    if (isTimeout(error, code)) {
      return new UpstreamUnavailableError(
        `The licensing server did not answer ${func} within ${this.options.timeoutMs} ms`,
        { cause: safeCause },
      );
    }
    if (/maxContentLength/.test(errorMessage(error))) return this.tooLarge(func, maxResponseBytes);
    if (code === 'ERR_INVALID_URL') {
      return new ModuleConfigurationError('The licensing server URL is not a valid http(s) URL', { cause: safeCause });
    }
    return new UpstreamUnavailableError(
      `Could not reach the licensing server for ${func} (${code ?? 'network error'})`,
      {
        cause: safeCause,
      },
    );
  }

  private tooLarge(func: string, maxResponseBytes: number): UpstreamProtocolError {
    return new UpstreamProtocolError(
      `The reply of the licensing server to ${func} is larger than ${maxResponseBytes} bytes`,
    );
  }
}

function isTimeout(error: unknown, code: string | undefined): boolean {
  if (axios.isCancel(error)) return true;
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
