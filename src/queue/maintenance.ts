import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { LifecycleDeps } from '../lifecycle/lifecycle-deps';
import { startScheduledJob } from './scheduled-job';

const RENEWALS_PER_SWEEP = 500;
const DAY_MS = 86_400_000;

/**
 * The scheduled sweep: renews the licenses of active services before they lapse (as `renew` operations, in order
 * with the service's other operations) and takes pooled licenses that expired out of the pool.
 */
export async function runMaintenanceSweep(deps: LifecycleDeps): Promise<{ renewals: number; expired: number }> {
  const now = deps.now();
  const before = new Date(now.getTime() + deps.settings.renewalLeadDays * 86_400_000);
  let renewals = 0;
  for (const serviceId of await deps.services.listDueForRenewal(before, RENEWALS_PER_SWEEP)) {
    if (await queueRenewal(deps, serviceId)) renewals++;
  }
  const expired = await deps.licenses.expirePooled({ actor: 'scheduler', at: now });
  if (renewals || expired.length) deps.logger.info({ renewals, expired: expired.length }, 'maintenance sweep');
  return { renewals, expired: expired.length };
}

/** Rows each store prunes per sweep at most: a sweep stays short, and the next one carries on. */
const PRUNE_BATCH = 1000;

/**
 * Retention (`retention.*`): forgets processed hook events, delivered callback records and delivered alert
 * notifications after `hookEventsDays`, and audit rows after `auditDays`.
 *
 * What is kept, and why that is safe for money:
 * - Operation rows are never pruned: the money rules read them (the order of a service's operations, the
 *   checkpoints of paid calls by operation id, the operation a pooled license was reserved by, retries by a person).
 * - A hook event is pruned only when its operation succeeded (a `failed` one may still be retried by a person, a
 *   `waiting` or running one is not finished) long ago, and a later operation of the same service exists: the latest
 *   event of every service, the one a platform would resend, keeps its idempotency record.
 * - A pruned `eventId` sent again can only come from the platform (a signature is valid for 300 s), months after
 *   any platform's retries end. It is then a new hook: a new operation sequenced after everything the service has
 *   seen, decided on the service's current state (a prolong renews only up to a paid-until already covered, an open
 *   of a service that holds its license keeps it), and bounded like any hook by the money guards.
 */
export async function pruneExpiredRecords(
  deps: Pick<LifecycleDeps, 'hookEvents' | 'callbacks' | 'alertNotifications' | 'audit' | 'now' | 'logger'>,
  retention: Config['retention'],
): Promise<{ hookEvents: number; callbacks: number; alertNotifications: number; audit: number }> {
  const now = deps.now().getTime();
  const hookEventsBefore = new Date(now - retention.hookEventsDays * DAY_MS);
  const pruned = {
    hookEvents: await deps.hookEvents.pruneProcessedBefore(hookEventsBefore, PRUNE_BATCH),
    callbacks: await deps.callbacks.forgetDeliveredBefore(hookEventsBefore, PRUNE_BATCH),
    alertNotifications: await deps.alertNotifications.pruneDeliveredBefore(hookEventsBefore, PRUNE_BATCH),
    audit: await deps.audit.pruneBefore(new Date(now - retention.auditDays * DAY_MS), PRUNE_BATCH),
  };
  if (Object.values(pruned).some((count) => count > 0)) deps.logger.info({ pruned }, 'retention sweep');
  return pruned;
}

/** A `renew` operation, unless the service already has one not settled (the sweep may run often). */
async function queueRenewal(deps: LifecycleDeps, serviceId: string): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    if (await deps.operations.hasUnsettled(serviceId, trx)) return false;
    const now = deps.now();
    const sequence = await deps.services.nextSequence(serviceId, now, trx);
    await deps.operations.create(
      { id: crypto.randomUUID(), event: 'renew', serviceId, sequence, payload: { id: serviceId } },
      now,
      trx,
    );
    return true;
  });
}

/** The queue of the maintenance sweep: `<worker.queueName>-maintenance`. */
export function maintenanceQueueName(queueName: string): string {
  return `${queueName}-maintenance`;
}

/**
 * Runs the sweep through a BullMQ job scheduler, so that however many worker processes there are, one sweep runs
 * per interval.
 */
export async function startMaintenance(options: {
  queueName: string;
  connection: Redis;
  everyMs: number;
  deps: LifecycleDeps;
  retention: Config['retention'];
  onRenewalsQueued: () => void;
  logger: Logger;
}): Promise<{ close(): Promise<void> }> {
  return startScheduledJob({
    queueName: maintenanceQueueName(options.queueName),
    schedulerId: 'license-maintenance',
    job: { name: 'sweep' },
    everyMs: options.everyMs,
    connection: options.connection,
    logger: options.logger,
    process: async () => {
      const outcome = await runMaintenanceSweep(options.deps);
      if (outcome.renewals) options.onRenewalsQueued();
      return { ...outcome, pruned: await pruneExpiredRecords(options.deps, options.retention) };
    },
  });
}
