import type { ModuleLogger } from '../../src/domain/licensing-module';
import {
  UpstreamAuthError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
  UpstreamRejectedError,
  type UpstreamError,
} from '../../src/domain/upstream-errors';
import { HttpTransport } from './http-transport';
import { SecretRedactor } from './secret-redactor';
import { parseBillmanagerReply, type BillmanagerReply, type ErrorDocument } from './xml-reply';

/** Everything the API client needs to talk to one licensing server. */
export interface BillmanagerClientOptions {
  /** The single API endpoint, e.g. `https://api.ispsystem.com/manager/billmgr`. */
  url: string;
  username: string;
  /** Never logged, never put in an error. */
  password: string;
  /** `'session'`: `func=auth` once, then `auth=<id>`; `'authinfo'`: `authinfo=user:pass` on each call. */
  auth: 'session' | 'authinfo';
  timeoutMs: number;
  maxResponseBytes: number;
  logger: ModuleLogger;
}

/** Parameters of one function call (besides `func`, `out` and the credentials, which the client adds). */
export type CallParams = Readonly<Record<string, string>>;

/** How one call differs from the client's defaults. */
export interface CallOptions {
  /** This call's reply-size cap in bytes (the license list's may be larger than the rest). */
  maxResponseBytes?: number;
}

/** One call as it goes out: the function, its parameters and its reply-size cap. */
interface OutgoingCall {
  func: string;
  params: CallParams;
  maxResponseBytes: number;
}

const RESERVED_PARAMS = new Set(['func', 'out', 'auth', 'authinfo', 'username', 'password']);

/**
 * The transport half of the `billmanager` module: form-encoded POSTs with `out=xml`, auth sessions, and the mapping
 * of `<error>` documents to the upstream error family. Secrets (password, session ids, activation keys) never reach
 * an error message, an error's cause or a log line.
 */
export class BillmanagerApiClient {
  private readonly transport: HttpTransport;
  private readonly redactor: SecretRedactor;
  private session: string | null = null;
  private pendingLogin: Promise<string> | null = null;

  constructor(private readonly options: BillmanagerClientOptions) {
    this.redactor = new SecretRedactor([options.password]);
    this.transport = new HttpTransport({
      url: options.url,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      redactor: this.redactor,
    });
  }

  /**
   * Calls one function and resolves with its (successful) reply. In session mode a refused session is renewed once
   * and the call repeated (a refused call was not performed, so repeating it is safe); a second refusal is final.
   * @throws UpstreamAuthError, UpstreamNotFoundError, UpstreamRejectedError for error documents;
   *   UpstreamUnavailableError, UpstreamProtocolError for transport failures and unreadable replies.
   */
  async call(func: string, params: CallParams = {}, options: CallOptions = {}): Promise<BillmanagerReply> {
    const reserved = Object.keys(params).filter((name) => RESERVED_PARAMS.has(name));
    if (reserved.length > 0) throw new TypeError(`Reserved parameter(s) passed to ${func}: ${reserved.join(', ')}`);
    const request = { func, params, maxResponseBytes: options.maxResponseBytes ?? this.options.maxResponseBytes };
    if (this.options.auth === 'authinfo') {
      return this.send(request, { authinfo: `${this.options.username}:${this.options.password}` });
    }
    return this.callWithSession(request);
  }

  /** Blanks every secret this client knows out of a text (for callers that build messages from upstream data). */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** Records a secret seen in a reply (an activation key) so that it is redacted from now on. */
  rememberSecret(secret: string | null | undefined): void {
    this.redactor.remember(secret);
  }

  private async callWithSession(request: OutgoingCall): Promise<BillmanagerReply> {
    const { func } = request;
    const session = await this.currentSession();
    try {
      return await this.send(request, { auth: session });
    } catch (error) {
      if (!(error instanceof UpstreamAuthError)) throw error;
      this.forgetSession(session);
      this.options.logger.info({ func }, 'billmanager: session refused, logging in again');
      const renewed = await this.currentSession();
      try {
        return await this.send(request, { auth: renewed });
      } catch (retryError) {
        if (retryError instanceof UpstreamAuthError) this.forgetSession(renewed);
        throw retryError;
      }
    }
  }

  /** The live session, or the one being opened: concurrent first calls share one login. */
  private currentSession(): Promise<string> {
    if (this.session !== null) return Promise.resolve(this.session);
    this.pendingLogin ??= this.logIn().finally(() => {
      this.pendingLogin = null;
    });
    return this.pendingLogin;
  }

  private forgetSession(session: string): void {
    if (this.session === session) this.session = null;
  }

  private async logIn(): Promise<string> {
    const credentials = { username: this.options.username, password: this.options.password };
    const reply = await this.send(
      { func: 'auth', params: credentials, maxResponseBytes: this.options.maxResponseBytes },
      {},
    );
    if (reply.authId === null) {
      throw new UpstreamProtocolError('Unreadable reply from the licensing server to auth: no session id');
    }
    this.redactor.remember(reply.authId);
    this.session = reply.authId;
    this.options.logger.info({ username: this.options.username }, 'billmanager: logged in');
    return reply.authId;
  }

  private async send(request: OutgoingCall, credentials: CallParams): Promise<BillmanagerReply> {
    const { func, params, maxResponseBytes } = request;
    const startedAt = Date.now();
    const form = new URLSearchParams({ out: 'xml', func, ...params, ...credentials });
    try {
      const body = await this.transport.post(form, func, maxResponseBytes);
      const reply = await parseBillmanagerReply(body, func);
      if (reply.error) throw this.errorFromDocument(func, reply.error);
      this.redactor.remember(reply.fields.lickey);
      this.options.logger.debug({ func, ms: Date.now() - startedAt }, 'billmanager: call done');
      return reply;
    } catch (error) {
      const { name, code } = error as UpstreamError;
      this.options.logger.debug({ func, ms: Date.now() - startedAt, error: name, code }, 'billmanager: call failed');
      throw error;
    }
  }

  private errorFromDocument(func: string, document: ErrorDocument): UpstreamError {
    const message = this.redactor.redact(document.message);
    const object = document.object === null ? null : this.redactor.redact(document.object);
    switch (document.type) {
      case 'auth':
        return new UpstreamAuthError(`The licensing server refused the credentials or session (${func}): ${message}`);
      case 'missing':
        return new UpstreamNotFoundError(`The licensing server does not know ${object ?? 'the object'}: ${message}`);
      default:
        return new UpstreamRejectedError(this.redactor.redact(document.type), object, message);
    }
  }
}
