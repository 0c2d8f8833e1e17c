/**
 * The service's own error family. Each maps to one status and `code` of the contract's error shape
 * (`{"error":{code,message,details}}`); `details` must be safe to show (never a credential).
 */
export abstract class ServiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
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
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'invalid_input') {
    super(message, details);
    this.code = code;
  }
}

export class UnauthorizedError extends ServiceError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class ConflictError extends ServiceError {
  readonly status = 409;
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'conflict') {
    super(message, details);
    this.code = code;
  }
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** Valid JSON that breaks a rule: an unknown reference, an unorderable period, … */
export class RuleViolationError extends ServiceError {
  readonly status = 422;
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'rule_violation') {
    super(message, details);
    this.code = code;
  }
}

/** A dependency (database, Redis) does not answer. */
export class DependencyDownError extends ServiceError {
  readonly status = 503;
  readonly code = 'dependency_down';
}
