import { isDatabaseUnavailable } from './db/database';
import { DependencyDownError, ServiceError, type Disposition } from './errors';

/** What may be said outside the process about an error, and what an operation that failed with it does next. */
export interface ErrorVerdict {
  /** The HTTP status of an answer. */
  status: number;
  code: string;
  /** Safe to show: the taxonomy's own message, or a generic one for an error nobody anticipated. */
  message: string;
  details: unknown;
  disposition: Disposition;
  /** The earliest next try the error itself names (a `wait` error's end), else null. */
  notBefore: Date | null;
  /** False for an error of no class of the taxonomy: its detail (knex's includes SQL text) goes to the log only. */
  anticipated: boolean;
}

/** The only thing said outside the process about an error nobody anticipated. */
export const INTERNAL_ERROR_MESSAGE = 'internal error; the log has the details';

const DATABASE_DOWN = new DependencyDownError('the database does not answer; try again shortly', {
  dependency: 'database',
});

/**
 * The one lookup of the taxonomy (`src/errors.ts`), used by the error middleware, the operation runner and anything
 * else that reports an error: an error of the taxonomy speaks for itself; a database that does not answer is
 * `dependency_down` (retried); anything else is `internal`, retried with back-off, and described by a generic
 * message only.
 */
export function classifyError(error: unknown): ErrorVerdict {
  if (error instanceof ServiceError) return verdictOf(error);
  if (isDatabaseUnavailable(error)) return verdictOf(DATABASE_DOWN);
  return {
    status: 500,
    code: 'internal',
    message: INTERNAL_ERROR_MESSAGE,
    details: null,
    disposition: 'retry',
    notBefore: null,
    anticipated: false,
  };
}

function verdictOf(error: ServiceError): ErrorVerdict {
  const notBefore = (error as { notBefore?: unknown }).notBefore;
  return {
    status: error.status,
    code: error.code,
    message: error.message,
    details: error.details,
    disposition: error.disposition,
    notBefore: notBefore instanceof Date ? notBefore : null,
    anticipated: true,
  };
}
