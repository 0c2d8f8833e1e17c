/**
 * The errors a licensing-server module throws. Each keeps a `name`, a safe message and safe details, never a
 * credential or an activation key. `retryable` says whether trying again later can help: network failures, time-outs
 * and 5xx can; rejections by the upstream cannot (they wait for a person or a changed condition).
 */
export abstract class UpstreamError extends Error {
  abstract readonly retryable: boolean;
  /** Contract error code, e.g. `upstream_balance`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The upstream refused our credentials or session. */
export class UpstreamAuthError extends UpstreamError {
  readonly retryable = false;
  readonly code = 'upstream_auth';
}

/** The upstream answered with an error document: no money, bad value, refused IP change, … */
export class UpstreamRejectedError extends UpstreamError {
  readonly retryable = false;
  readonly code: string;
  constructor(
    readonly upstreamType: string,
    readonly upstreamObject: string | null,
    upstreamMessage: string,
    options?: { cause?: unknown },
  ) {
    super(upstreamMessage, options);
    this.code = `upstream_${upstreamType.replace(/[^a-z0-9_]/gi, '_').toLowerCase() || 'error'}`;
  }
}

/** The upstream does not know the license (or other object) asked for. */
export class UpstreamNotFoundError extends UpstreamError {
  readonly retryable = false;
  readonly code = 'upstream_missing';
}

/** Network failure, time-out or 5xx: the call may or may not have happened; try again later. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly retryable = true;
  readonly code = 'upstream_unavailable';
}

/** A reply that cannot be read (not XML, truncated, too large, unexpected shape). Never taken for success. */
export class UpstreamProtocolError extends UpstreamError {
  readonly retryable = true;
  readonly code = 'upstream_protocol';
}

/** The module's own configuration cannot express the request (e.g. no upstream code for `lifetime`). */
export class ModuleConfigurationError extends UpstreamError {
  readonly retryable = false;
  readonly code = 'module_configuration';
}
