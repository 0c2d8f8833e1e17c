import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { KnexAlertFacts } from '../db/alert-facts';
import type { AlertRecord, AlertStore } from '../db/alert-store';
import type { AuditStore } from '../db/audit-store';
import type { DriftStore } from '../db/drift-store';
import type { LicenseStore } from '../db/license-store';
import type { OperationStore } from '../db/operation-store';
import {
  driftDraft,
  ESCALATING_KINDS,
  escalationsDue,
  licenseLapsedWhileServicePaid,
  poolLowDraft,
  RENEWAL_EVENTS,
  renewalNoLongerNeeded,
  retryDue,
  SPEND_LIMIT_CODE,
} from '../domain/alert-rules';
import { subjectKey } from '../domain/alerts';
import { poolEligibility } from '../domain/pool-eligibility';
import type { AlertBook } from './alert-book';
import type { ModuleProvider } from './module-provider';
import { outcomeOf } from './observed-module';

const DAY_MS = 86_400_000;

export interface AlertSweepDeps {
  db: Knex;
  alerts: AlertStore;
  alertFacts: KnexAlertFacts;
  operations: Pick<OperationStore, 'retry'>;
  audit: Pick<AuditStore, 'record'>;
  drift: Pick<DriftStore, 'list'>;
  licenses: Pick<LicenseStore, 'countEligible'>;
  licensingServers: { list(): Promise<Array<{ key: string }>> };
  modules: ModuleProvider;
  settings: Pick<Config['alerts'], 'escalateAfterHours' | 'retryEveryMs' | 'poolLowWindowDays'> & {
    poolMarginHours: number;
  };
  logger: Logger;
  /** Told when the sweep put operations back in the queue (the relay is nudged). */
  onRetried: () => void;
}

/** What one sweep did, for the log and for tests. */
export interface AlertSweepReport {
  opened: number;
  escalated: number;
  resolved: number;
  retried: number;
  probed: number;
}

/**
 * The scheduled look at the alerts, at the book's clock: resolves alerts whose cause is gone, turns a failing renewal
 * `critical` when the license has lapsed while its service is paid, escalates at `alerts.escalateAfterHours`, retries
 * the failed renewal at the head of a service's line and probes unreachable licensing servers every
 * `alerts.retryEveryMs`, probes the servers this process last found unreachable, and opens and resolves the alerts
 * only the database tells of (drift, pool tips).
 */
export async function runAlertSweep(book: AlertBook, deps: AlertSweepDeps): Promise<AlertSweepReport> {
  const report: AlertSweepReport = { opened: 0, escalated: 0, resolved: 0, retried: 0, probed: 0 };
  const now = book.now();
  const tx = (work: (trx: Knex.Transaction) => Promise<unknown>) => deps.db.transaction(work);
  for (const alert of await book.view.reload()) {
    try {
      if (await causeGone(alert, deps, now, report)) {
        if (await tx((trx) => book.resolve(alert, trx, 'cause gone'))) report.resolved++;
        continue;
      }
      if (alert.kind === 'renewal_failing') await renewalFollowUp(alert, deps, book, now, report);
      if (ESCALATING_KINDS.has(alert.kind)) {
        const due = escalationsDue(new Date(alert.openedAt), now, deps.settings.escalateAfterHours);
        if (due > alert.escalations && (await tx((trx) => book.escalate(alert, { escalations: due }, trx))))
          report.escalated++;
      }
    } catch (err) {
      deps.logger.error(
        { err: (err as Error).message, alertId: alert.id, kind: alert.kind },
        'alert sweep step failed',
      );
    }
  }
  if (report.retried > 0) deps.onRetried();
  await probeSuspects(deps, book, report);
  await sweepDrift(deps, book, report);
  await sweepPoolLow(deps, book, now, report);
  if (Object.values(report).some((n) => n > 0)) deps.logger.info({ ...report }, 'alert sweep');
  return report;
}

/** Whether what opened the alert is gone; an unreachable server is probed (when due) to find out. */
async function causeGone(
  alert: AlertRecord,
  deps: AlertSweepDeps,
  now: Date,
  report: AlertSweepReport,
): Promise<boolean> {
  const subject = alert.subject;
  switch (alert.kind) {
    case 'renewal_failing':
      return renewalNoLongerNeeded(
        await deps.alertFacts.renewalFacts(String(subject.serviceId), String(subject.licenseId)),
      );
    case 'upstream_unreachable': {
      if (!retryDue(new Date(alert.updatedAt), now, deps.settings.retryEveryMs)) return false;
      report.probed++;
      if (await answers(deps, String(subject.licensingServer))) return true;
      // Not yet: the probe's time is kept on the alert, so the next probe is `retryEveryMs` later.
      await deps.db.transaction((trx) => deps.alerts.update(alert.id, { message: alert.message }, now, trx));
      return false;
    }
    case 'balance_refused': {
      // The operations refused for money all went through since (a retry served from the pool pays nothing).
      const ids = Array.isArray(subject.operations) ? subject.operations : [];
      const ops = await deps.alertFacts.operations(ids);
      return ops.length > 0 && ops.every((op) => op.status === 'succeeded');
    }
    case 'operation_failed': {
      const [op] = await deps.alertFacts.operations([String(subject.operationId)]);
      return !op || op.status === 'succeeded';
    }
    case 'spend_limit':
      return !(await deps.alertFacts.serversWaitingWith(SPEND_LIMIT_CODE)).has(String(subject.licensingServer));
    default:
      return false;
  }
}

/** A probe of the licensing server: does it answer at all (a refusal is an answer)? */
async function answers(deps: AlertSweepDeps, licensingServer: string): Promise<boolean> {
  try {
    await (await deps.modules.forServer(licensingServer)).checkConnection();
    return true;
  } catch (error) {
    return outcomeOf(error) === 'rejected';
  }
}

/**
 * The critical turn, and the hourly retry of the service's failed renewal at the head of its line (as a person's
 * retry would, audited).
 */
async function renewalFollowUp(
  alert: AlertRecord,
  deps: AlertSweepDeps,
  book: AlertBook,
  now: Date,
  report: AlertSweepReport,
): Promise<void> {
  const serviceId = String(alert.subject.serviceId);
  const facts = await deps.alertFacts.renewalFacts(serviceId, String(alert.subject.licenseId));
  if (alert.severity !== 'critical' && licenseLapsedWhileServicePaid(facts, now)) {
    const message = `${alert.message}; the license has lapsed while the service is paid: the customer's panel is at risk`;
    if (await deps.db.transaction((trx) => book.escalate(alert, { severity: 'critical', message }, trx)))
      report.escalated++;
  }
  const op = await deps.alertFacts.failedRenewalAtHead(serviceId, RENEWAL_EVENTS);
  if (op && retryDue(op.updatedAt, now, deps.settings.retryEveryMs)) {
    const retried = await deps.db.transaction(async (trx) => {
      if (!(await deps.operations.retry(op.id, now, trx))) return false;
      await deps.audit.record(
        {
          actor: 'scheduler',
          action: 'operation.retry',
          subjectType: 'operation',
          subjectId: op.id,
          serviceId: op.serviceId,
          licenseId: op.licenseId ?? (alert.subject.licenseId as string),
          details: { event: op.event, reason: 'renewal_failing', alertId: alert.id },
        },
        now,
        trx,
      );
      return true;
    });
    if (retried) report.retried++;
  }
}

/**
 * A licensing server whose last call here got no answer (too few in a row to open the alert yet) is probed: still
 * no answer opens `upstream_unreachable`; an answer clears the suspicion (the book hears the call).
 */
async function probeSuspects(deps: AlertSweepDeps, book: AlertBook, report: AlertSweepReport): Promise<void> {
  for (const server of book.suspectServers()) {
    if (book.view.aboutServer('upstream_unreachable', server).length > 0) continue;
    report.probed++;
    if (!(await answers(deps, server)) && (await book.serverUnreachable(server, 'checkConnection'))) report.opened++;
  }
}

/** `drift` per licensing server: open (or its counts updated) while drift items are listed, resolved once none are. */
async function sweepDrift(deps: AlertSweepDeps, book: AlertBook, report: AlertSweepReport): Promise<void> {
  for (const { key } of await deps.licensingServers.list()) {
    try {
      const items = await deps.drift.list({ licensingServer: key });
      const open = book.view.aboutServer('drift', key);
      if (items.length === 0) {
        for (const alert of open)
          if (await deps.db.transaction((trx) => book.resolve(alert, trx, 'no drift'))) report.resolved++;
        continue;
      }
      const counts: Record<string, number> = {};
      for (const item of items) counts[item.kind] = (counts[item.kind] ?? 0) + 1;
      const draft = driftDraft(key, counts);
      if (open.some((alert) => alert.message === draft.message)) continue;
      if ((await deps.db.transaction((trx) => book.open(draft, trx))).opened) report.opened++;
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, licensingServer: key }, 'alert sweep: drift step failed');
    }
  }
}

/**
 * `pool_low` ("Recommended"): a price list for which licenses were ordered for services in the window while its pool
 * had none gets a tip, while its pool still holds no eligible license; resolved once it does, or the window is clear.
 */
async function sweepPoolLow(deps: AlertSweepDeps, book: AlertBook, now: Date, report: AlertSweepReport) {
  try {
    const windowDays = deps.settings.poolLowWindowDays;
    const orders = await deps.alertFacts.ordersWhilePoolEmpty(new Date(now.getTime() - windowDays * DAY_MS));
    const eligible = await deps.licenses.countEligible(poolEligibility(now, deps.settings.poolMarginHours));
    const stocked = new Set(eligible.filter((e) => e.eligible > 0).map((e) => subjectKey(priceListOf(e))));
    const tips = orders.filter((o) => o.count > 0 && !stocked.has(subjectKey(priceListOf(o))));
    for (const tip of tips) {
      const draft = poolLowDraft(priceListOf(tip), tip.count, windowDays);
      const key = subjectKey(draft.subject);
      if (book.view.find('pool_low', (a) => subjectKey(a.subject) === key && a.message === draft.message).length)
        continue;
      if ((await deps.db.transaction((trx) => book.open(draft, trx))).opened) report.opened++;
    }
    const wanted = new Set(tips.map((tip) => subjectKey(priceListOf(tip))));
    for (const alert of book.view.find('pool_low', (a) => !wanted.has(subjectKey(a.subject))))
      if (await deps.db.transaction((trx) => book.resolve(alert, trx, 'pool stocked or no recent orders')))
        report.resolved++;
  } catch (err) {
    deps.logger.error({ err: (err as Error).message }, 'alert sweep: pool tips failed');
  }
}

function priceListOf(row: { licensingServer: string; priceList: string }) {
  return { licensingServer: row.licensingServer, priceList: row.priceList };
}
