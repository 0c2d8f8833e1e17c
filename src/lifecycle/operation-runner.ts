import crypto from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import { retryDelayMs, startOfNextMonthUtc, addMonths, type OperationError } from '../domain/lifecycle';
import { UpstreamRejectedError } from '../domain/upstream-errors';
import type { AttemptOutcome, OperationRecord } from '../db/operation-store';
import { classifyError } from '../error-classification';
import { LeaseLostError, OperationNotClaimedError } from '../errors';
import { AttemptActions } from './attempt-actions';
import { Checkpointer } from './checkpointer';
import { crashPoint } from './crash-points';
import { EventHandlers } from './event-handlers';
import { HeldLease } from './held-lease';
import type { LifecycleDeps } from './lifecycle-deps';

export type RunVerdict = 'skipped' | 'lease-lost' | AttemptOutcome['status'];

/** What an attempt took and, when it did not succeed, the error's code. */
export interface AttemptFacts {
  durationMs: number;
  errorCode: string | null;
}

export interface OperationRunnerOptions {
  /** Whether a finished operation is to be delivered to the platform's callback URL. */
  callbackDue: boolean;
  /** Told after every attempt, so the next operation of the service is enqueued at once (and for metrics). */
  onAttemptFinished?: (op: OperationRecord, verdict: RunVerdict, attempt: AttemptFacts) => void;
}

/**
 * Runs one attempt of one operation: claims it (compare-and-set with a lease, so a duplicate job or a second worker
 * ends quietly), keeps the lease alive, applies the event, and records the outcome with the service and license
 * writes in one transaction. Decides what a failure means: retry with back-off, wait for a cooldown, or stop for a
 * person.
 */
export class OperationRunner {
  /** Names this process in leases; each claim adds a token of its own (see `run`). */
  readonly processName = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly deps: LifecycleDeps,
    private readonly options: OperationRunnerOptions,
  ) {}

  async run(operationId: string): Promise<RunVerdict> {
    const { operations, settings, logger } = this.deps;
    // A lease belongs to one claim, not to the process: should a run of this process stall past its lease and another
    // slot of the same process claim the operation again, the stalled run's lease checks must fail.
    const owner = `${this.processName}:${crypto.randomUUID()}`;
    // Read, not claimed: the attempt claims the operation in its first commit (see Checkpointer.transaction), so a
    // duplicate job ends there having only read, and an operation costs no commit of its own to start.
    const seen = await operations.get(operationId);
    if (!seen || !mayBeClaimable(seen, this.deps.now())) return 'skipped';
    const op: OperationRecord = { ...seen, status: 'running', attempts: seen.attempts + 1, leaseOwner: owner };
    const lease = new HeldLease(op.id, owner, settings.leaseMs);
    const claim = (trx: Knex.Transaction) => operations.claimSeen(seen, owner, settings.leaseMs, this.deps.now(), trx);
    const log = logger.child({ operationId: op.id, serviceId: op.serviceId, event: op.event, attempt: op.attempts });
    log.info('operation started');
    const heartbeat = setInterval(
      () => {
        if (!lease.claimed) return;
        const sentAt = performance.now();
        operations
          .renewLease(op.id, owner, settings.leaseMs)
          .then((renewed) => renewed && lease.renewed(sentAt))
          .catch((err) => log.warn({ err: err.message }, 'lease renewal failed'));
      },
      Math.max(250, Math.floor(settings.leaseMs / 3)),
    );
    const started = performance.now();
    let verdict: RunVerdict;
    let errorCode: string | null = null;
    try {
      ({ verdict, errorCode } = await this.attempt(op, lease, claim));
    } catch (error) {
      if (error instanceof OperationNotClaimedError) {
        log.info('operation claimed by another worker, or moved on since it was read: nothing written');
        return 'skipped';
      }
      if (!(error instanceof LeaseLostError)) throw error;
      verdict = 'lease-lost';
      errorCode = error.code;
    } finally {
      clearInterval(heartbeat);
    }
    log.info({ verdict }, 'operation attempt ended');
    this.options.onAttemptFinished?.(op, verdict, { durationMs: performance.now() - started, errorCode });
    return verdict;
  }

  private async attempt(
    op: OperationRecord,
    lease: HeldLease,
    claim: (trx: Knex.Transaction) => Promise<boolean>,
  ): Promise<{ verdict: Exclude<RunVerdict, 'skipped' | 'lease-lost'>; errorCode: string | null }> {
    const { operations, services, licenses, audit } = this.deps;
    const { owner } = lease;
    // This attempt holds the lease: it reads the operation's upstream actions once (on a first attempt, not at all).
    const upstreamActions = new AttemptActions(this.deps.upstreamActions, op.id, op.attempts);
    const deps = { ...this.deps, upstreamActions };
    // Every write of the attempt goes through its checkpoints, the outcome's too (with what its reads left `later`).
    const checkpoints = new Checkpointer(deps, lease, claim);
    try {
      const outcome = await new EventHandlers(deps, op, checkpoints).run();
      const now = this.deps.now();
      const finished = { status: 'succeeded' as const, result: outcome.result };
      // The outcome is recorded first: it judges the lease, so a worker that lost it writes nothing of the rest.
      const finish = (trx: Knex.Transaction) =>
        operations.finishAttempt(op.id, owner, finished, now, this.options.callbackDue, trx);
      await checkpoints.transaction(async (trx) => {
        // A person's operation on an unbound license, or a pool order, has no service to update or bind to.
        if (op.serviceId !== null) {
          await services.update(op.serviceId, outcome.servicePatch, now, trx);
          if (outcome.bindLicenseId) {
            await licenses.bind(
              outcome.bindLicenseId,
              op.serviceId,
              { actor: 'worker', at: now, operationId: op.id },
              trx,
            );
          }
        }
        await audit.record(
          {
            actor: 'worker',
            action: `operation.${op.event}.succeeded`,
            subjectType: 'operation',
            subjectId: op.id,
            serviceId: op.serviceId,
            licenseId: outcome.result.licenseId,
            details: { ...outcome.result },
          },
          now,
          trx,
        );
        await this.deps.alertSignals.attemptSucceeded(op, trx);
      }, finish);
      crashPoint(`after-commit:${op.event}`);
      return { verdict: 'succeeded', errorCode: null };
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const outcome = await this.outcomeOfFailure(op, error, checkpoints);
      const now = this.deps.now();
      const finish = (trx: Knex.Transaction) =>
        operations.finishAttempt(op.id, owner, outcome, now, this.options.callbackDue, trx);
      await checkpoints.transaction(async (trx) => {
        if (outcome.status === 'failed') {
          const returned = await licenses.returnReservedToPool({ actor: 'worker', at: now, operationId: op.id }, trx);
          await audit.record(
            {
              actor: 'worker',
              action: `operation.${op.event}.failed`,
              subjectType: 'operation',
              subjectId: op.id,
              serviceId: op.serviceId,
              details: { ...outcome.error, returnedToPool: returned },
            },
            now,
            trx,
          );
        }
        await this.deps.alertSignals.attemptFailed(op, outcome, trx);
      }, finish);
      const log = this.deps.logger.child({ operationId: op.id, serviceId: op.serviceId });
      if (outcome.status === 'failed') log.error({ error: outcome.error }, 'operation failed; a person must look');
      else
        log.warn(
          { error: outcome.error, notBefore: outcome.notBefore },
          `operation will be tried again (${outcome.status})`,
        );
      return { verdict: outcome.status, errorCode: outcome.error?.code ?? null };
    }
  }

  /**
   * What a failed attempt means for the operation: the error's disposition in the taxonomy (`classifyError`), plus
   * the runner's own rules: an upstream `limit` refusal waits for its cooldown; a retry gives up after
   * `maxAttempts`, except while a paid call's outcome is unknown. Only the verdict's safe code and message are
   * recorded; an unanticipated error's detail goes to the log.
   */
  private async outcomeOfFailure(
    op: OperationRecord,
    error: unknown,
    checkpoints: Checkpointer,
  ): Promise<Exclude<AttemptOutcome, { status: 'succeeded' }>> {
    const now = this.deps.now();
    const verdict = classifyError(error);
    const described: OperationError = { code: verdict.code, message: verdict.message };
    if (!verdict.anticipated)
      this.deps.logger.error({ err: error, operationId: op.id }, 'unexpected error in an operation');
    const backOff = () =>
      new Date(
        now.getTime() +
          retryDelayMs(op.attempts, { baseMs: this.deps.settings.retryBaseMs, maxMs: this.deps.settings.retryMaxMs }),
      );
    switch (verdict.disposition) {
      case 'person':
        return { status: 'failed', error: described };
      case 'wait': {
        const cooldown = error instanceof UpstreamRejectedError ? cooldownEnd(error.upstreamObject, now) : null;
        return { status: 'waiting', error: described, notBefore: verdict.notBefore ?? cooldown ?? backOff() };
      }
      case 'retry':
        if (op.attempts >= this.deps.settings.maxAttempts && !(await checkpoints.hasUnknownOutcome())) {
          return {
            status: 'failed',
            error: { code: described.code, message: `gave up after ${op.attempts} attempts: ${described.message}` },
          };
        }
        return { status: 'queued', error: described, notBefore: verdict.notBefore ?? backOff() };
    }
  }
}

/** When an upstream cooldown ends: IP changes reopen with the next calendar month, key regeneration after a month. */
function cooldownEnd(object: string | null, now: Date): Date {
  if (object === 'ip') return startOfNextMonthUtc(now);
  if (object === 'lickey') return addMonths(now, 1);
  return new Date(now.getTime() + 3600_000);
}

/**
 * Whether the operation, as read, may be claimed now: queued or waiting and its time come, or running with its lease
 * passed as far as this host's clock tells (a duplicate job of a running operation reads no further). Only the
 * claim's compare-and-set decides, on the database's clock; a host whose clock runs behind takes over a dead
 * worker's operation that much later.
 */
function mayBeClaimable(op: OperationRecord, now: Date): boolean {
  if (op.status === 'running') return op.leaseUntil === null || op.leaseUntil <= now;
  if (op.status !== 'queued' && op.status !== 'waiting') return false;
  return op.notBefore === null || op.notBefore <= now;
}
