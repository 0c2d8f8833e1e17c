import type { Knex } from 'knex';
import type { OperationError } from '../domain/lifecycle';
import type { OperationRecord } from '../db/operation-store';
import type { UpstreamFunction } from './observed-module';

/** How an attempt that did not succeed ended. */
export interface FailedAttempt {
  status: 'failed' | 'queued' | 'waiting';
  error: OperationError | null;
}

/**
 * What the operation runner tells the alerts (`alert-book.ts`), inside the transaction that records the attempt's
 * outcome, so an alert is opened or resolved together with the outcome that caused it. None of these throws: a fault
 * of the alerts is logged and never holds up or undoes an operation.
 */
export interface AlertSignals {
  /** An attempt failed, or will be tried again (queued, waiting). */
  attemptFailed(op: OperationRecord, outcome: FailedAttempt, trx: Knex.Transaction): Promise<void>;
  /** An attempt succeeded. Cheap: nothing is read or written unless an alert about this operation may be open. */
  attemptSucceeded(op: OperationRecord, trx: Knex.Transaction): Promise<void>;
  /**
   * A task could not reach the licensing server at all (a reconciliation could not read its list): it counts as
   * unreachable at once, without waiting for calls in a row. Runs its own transaction; resolves to whether it opened.
   */
  serverUnreachable(licensingServer: string, fn: UpstreamFunction): Promise<boolean>;
}
