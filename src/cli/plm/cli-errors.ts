/** The exit codes of `plm`, as its help and the README list them. */
export const ExitCode = {
  ok: 0,
  /** The API answered an error, or the operation waited for failed. */
  failed: 1,
  /** A bad flag, a missing argument, no token: nothing was sent. */
  usage: 2,
  /** Nothing answered at PLM_URL. */
  unreachable: 3,
} as const;

/** A failure `plm` explains to a person: what went wrong, and what to do about it. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** Bad input or configuration, found before anything was sent. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, fix?: string) {
    super(message, ExitCode.usage, fix);
  }
}

/** The contract's error answer: `{"error": {code, message, details}}` with its HTTP status. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly request: { method: string; path: string },
    /** The answer's JSON as the service sent it (printed as is under --json). */
    readonly body: unknown,
  ) {
    super(message, ExitCode.failed);
  }
}

/** No answer at all: connection refused, a name that does not resolve, a time-out. */
export class UnreachableError extends CliError {
  override readonly name = 'UnreachableError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(
      `cannot reach the service at ${url} (${reason})`,
      ExitCode.unreachable,
      'is the service running at PLM_URL? Start it (npm start) or point PLM_URL / --url at it',
    );
  }
}

/** An awaited operation that failed, or did not settle in time. */
export class OperationNotDoneError extends CliError {
  override readonly name = 'OperationNotDoneError';
  constructor(message: string, fix?: string) {
    super(message, ExitCode.failed, fix);
  }
}
