import type { Period } from './domain/period';
import type { SecretLocation } from './security/secret-box';

/**
 * The service's one error taxonomy: every error class the service throws on purpose is here (modules import the
 * upstream part through `domain/upstream-errors.ts`). Each class has
 * - a `code` and an HTTP `status` of the contract's error shape (`{"error":{code,message,details}}`),
 * - a `message` and `details` safe to show to whoever asked (never a credential, a key or SQL text),
 * - a `disposition`: what an operation that failed with it does next (see {@link Disposition}).
 * An error of no class here is one nobody anticipated: `classifyError` answers it as `internal` with a generic message,
 * and its detail goes to the log only.
 *
 * Errors that stay where they are thrown, on purpose: the sandbox's `SandboxApiError` and `ControlApiError` are the
 * simulated licensing server's own (they become its XML error replies, and the sandbox shares no code with the
 * service's side of the wire), and each module's settings error extends {@link ModuleSettingsError} in its module.
 */

/**
 * What an operation does after failing with an error:
 * - `retry`: try again with back-off (up to `lifecycle.maxAttempts`, except while a paid call's outcome is unknown);
 * - `wait`: status `waiting` until the error's `notBefore` (a cooldown, a daily cap, an upstream still processing);
 * - `person`: status `failed`: retrying cannot help, a person must look.
 */
export type Disposition = 'retry' | 'wait' | 'person';

/** The base of the taxonomy. */
export abstract class ServiceError extends Error {
  /** The HTTP status when the error answers a request. */
  abstract readonly status: number;
  /** The contract's snake_case error code. */
  abstract readonly code: string;
  abstract readonly disposition: Disposition;
  readonly details: unknown;

  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details ?? null;
  }
}

/** A required field is missing or of the wrong type, or the JSON is malformed. */
export class InvalidInputError extends ServiceError {
  readonly status = 400;
  readonly disposition = 'person';
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'invalid_input') {
    super(message, details);
    this.code = code;
  }
}

export class UnauthorizedError extends ServiceError {
  readonly status = 401;
  readonly disposition = 'person';
  readonly code = 'unauthorized';
}

/** A known bearer token whose role does not reach the route. */
export class ForbiddenError extends ServiceError {
  readonly status = 403;
  readonly disposition = 'person';
  readonly code = 'forbidden';
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
  readonly disposition = 'person';
  readonly code = 'not_found';
}

export class ConflictError extends ServiceError {
  readonly status = 409;
  readonly disposition = 'person';
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'conflict') {
    super(message, details);
    this.code = code;
  }
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
  readonly disposition = 'person';
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
  readonly disposition = 'person';
  readonly code = 'unsupported_media_type';
}

/** Valid JSON that breaks a rule: an unknown reference, an unorderable period, … */
export class RuleViolationError extends ServiceError {
  readonly status = 422;
  readonly disposition = 'person';
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'rule_violation') {
    super(message, details);
    this.code = code;
  }
}

/** A dependency (database, Redis) does not answer. */
export class DependencyDownError extends ServiceError {
  readonly status = 503;
  readonly disposition = 'retry';
  readonly code = 'dependency_down';
}

/** Try the operation again, not before `notBefore` (an unknown outcome too recent to look up). */
export class RetryLaterError extends ServiceError {
  readonly status = 503;
  readonly code = 'outcome_unknown';
  readonly disposition = 'retry';
  constructor(
    message: string,
    readonly notBefore: Date,
  ) {
    super(message);
  }
}

/**
 * The worker's claim of an operation lost its lease to another worker: the attempt stops touching anything and
 * records nothing (the runner ends it quietly; the lease's holder carries the operation on).
 */
export class LeaseLostError extends ServiceError {
  readonly status = 409;
  readonly code = 'lease_lost';
  readonly disposition = 'retry';
}

/**
 * The attempt's first commit could not claim its operation: another worker had it, or it had moved on since it was
 * read (a duplicate job). The attempt has only read; it ends quietly (verdict `skipped`).
 */
export class OperationNotClaimedError extends LeaseLostError {}

/** A configuration that cannot be used, found at start-up; the message names the field and the variable. */
export class ConfigError extends ServiceError {
  readonly status = 500;
  readonly code = 'invalid_configuration';
  readonly disposition = 'person';
}

/** A licensing server's `settings` are not valid for its module; the message names the field. */
export class ModuleSettingsError extends ServiceError {
  readonly status = 400;
  readonly code = 'invalid_settings';
  readonly disposition = 'person';
}

/** What made a period-comparison rule unusable. */
export type PeriodConfigurationProblem = 'target_not_orderable' | 'duplicate_rule' | 'nothing_orderable';

/**
 * The period-comparison rules and the price list's orderable periods cannot be reconciled. Retrying cannot fix it:
 * a person must change a rule or an enumeration value. Its `code` is the problem.
 */
export class PeriodConfigurationError extends ServiceError {
  readonly status: number;
  readonly code: PeriodConfigurationProblem;
  readonly disposition = 'person';
  declare readonly details: {
    /** The offending rule (for `duplicate_rule`, the smaller of the two ids); null for `nothing_orderable`. */
    ruleId: string | null;
    /** The other rule of a `duplicate_rule` pair; null otherwise. */
    otherRuleId: string | null;
    /** The price list concerned, when the caller named it. */
    priceList: string | null;
    orderablePeriods: readonly Period[];
  };

  constructor(
    readonly problem: PeriodConfigurationProblem,
    message: string,
    details: PeriodConfigurationError['details'],
  ) {
    super(message, details);
    this.code = problem;
    this.status = problem === 'duplicate_rule' ? 409 : 422;
  }

  get ruleId(): string | null {
    return this.details.ruleId;
  }

  get priceList(): string | null {
    return this.details.priceList;
  }
}

/**
 * The errors a licensing-server module throws (modules import them from `domain/upstream-errors.ts`). The message is
 * ours or the upstream's own `<msg>`, never a credential or an activation key. `retryable`: network failures,
 * time-outs and 5xx; rejections by the upstream are not retried blindly.
 */
export abstract class UpstreamError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, null, options);
  }
  /** 503 while the upstream may answer later, 502 when it refused. */
  get status(): number {
    return this.retryable ? 503 : 502;
  }
  get retryable(): boolean {
    return this.disposition === 'retry';
  }
}

/** The upstream refused our credentials or session. */
export class UpstreamAuthError extends UpstreamError {
  readonly code = 'upstream_auth';
  readonly disposition = 'person';
}

/**
 * The upstream answered with an error document: no money, bad value, refused IP change, … Code `upstream_<type>`.
 * A `limit` refusal (a monthly cooldown) waits for the cooldown to end; the others wait for a person.
 */
export class UpstreamRejectedError extends UpstreamError {
  readonly code: string;
  readonly disposition: Disposition;
  constructor(
    readonly upstreamType: string,
    readonly upstreamObject: string | null,
    upstreamMessage: string,
    options?: { cause?: unknown },
  ) {
    super(upstreamMessage, options);
    this.code = `upstream_${upstreamType.replace(/[^a-z0-9_]/gi, '_').toLowerCase() || 'error'}`;
    this.disposition = upstreamType === 'limit' ? 'wait' : 'person';
  }
}

/** The upstream does not know the license (or other object) asked for. */
export class UpstreamNotFoundError extends UpstreamError {
  readonly code = 'upstream_missing';
  readonly disposition = 'person';
}

/** Network failure, time-out or 5xx: the call may or may not have happened; try again later. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly code = 'upstream_unavailable';
  readonly disposition = 'retry';
}

/** A reply that cannot be read (not XML, truncated, too large, unexpected shape). Never taken for success. */
export class UpstreamProtocolError extends UpstreamError {
  readonly code = 'upstream_protocol';
  readonly disposition = 'retry';
}

/** The module's own configuration cannot express the request (e.g. no upstream code for `lifetime`). */
export class ModuleConfigurationError extends UpstreamError {
  readonly code = 'module_configuration';
  readonly disposition = 'person';
}

// Money guards and upstream timing

/**
 * A prolong or renewal would need more upstream renewals than `lifecycle.maxRenewalsPerOperation`: refused before
 * anything is paid. Retrying would pay again for the same mistake (a `paidUntil` far ahead, an upstream that does
 * not extend): a person must look.
 */
export class RenewalLimitError extends ServiceError {
  readonly status = 422;
  readonly code = 'renewal_limit';
  readonly disposition = 'person';
}

/**
 * The licensing server's paid calls (orders and renewals) of this UTC day reached `lifecycle.maxPaidCallsPerDay`:
 * nothing was called or charged. The operation waits until `notBefore` (the next UTC midnight), or until a person
 * raises the cap and retries it.
 */
export class SpendLimitError extends ServiceError {
  readonly status = 429;
  readonly code = 'spend_limit';
  readonly disposition = 'wait';
  constructor(
    message: string,
    readonly notBefore: Date,
    details?: unknown,
  ) {
    super(message, details);
  }
}

/**
 * The upstream still processes the license (status `ordered` or `processing`, no expiry yet): renewing or binding it
 * now would pay twice or hand out a license without a key. The operation waits until `notBefore`, with back-off.
 */
export class UpstreamProcessingError extends ServiceError {
  readonly status = 503;
  readonly code = 'upstream_processing';
  readonly disposition = 'wait';
  constructor(
    message: string,
    readonly notBefore: Date,
    details?: unknown,
  ) {
    super(message, details);
  }
}

/**
 * A paid call (order, renewal) was made and its outcome recorded, but reading its result back failed (refused,
 * unreadable, unreachable): the call is known-done, and only the read is tried again, with back-off. Never a reason
 * to fail the operation and forget what was paid.
 */
export class ReadBackError extends ServiceError {
  readonly status = 503;
  readonly code = 'read_back_failed';
  readonly disposition = 'retry';
}

// Secrets at rest

/**
 * A stored secret (a licensing-server password, an activation key) that none of the configured keys decrypts where it
 * is: a wrong key (`ENCRYPTION_KEY`, `ENCRYPTION_KEY_PREVIOUS`), or a value tampered with or moved from another row or
 * column. Retrying cannot help. The message names the place and, for a v2 value, the id of the key that made it;
 * never the value or a key.
 */
export class SecretUnreadableError extends ServiceError {
  readonly status = 500;
  readonly code = 'secret_unreadable';
  readonly disposition = 'person';
  constructor(
    readonly location: SecretLocation,
    reason: string,
  ) {
    super(`${location.table}.${location.column} of row "${location.rowId}": ${reason}`, { ...location });
  }
}

/** `npm run rotate-key` met stored secrets that decrypt with neither key, and changed nothing. */
export class RotationRefusedError extends ServiceError {
  readonly status = 500;
  readonly code = 'rotation_refused';
  readonly disposition = 'person';
  constructor(readonly unreadable: SecretUnreadableError[]) {
    super(
      `${unreadable.length} stored secret(s) decrypt with neither the current nor the previous key; nothing was ` +
        `changed:\n  ${unreadable.map((error) => error.message).join('\n  ')}`,
      { unreadable: unreadable.map((error) => error.location) },
    );
  }
}
