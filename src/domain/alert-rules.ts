import type { Config } from '../config/schema';
import type { AlertChannel, AlertKind, AlertSeverity, AlertSubject } from './alerts';
import type { OperationEvent, ServiceStatus } from './lifecycle';

/**
 * When each alert kind opens, escalates, turns critical and resolves (SPEC.md "Alerts and escalation"). Pure: the
 * alert book (`lifecycle/alert-book.ts`) and its sweep apply these rules to what they read.
 */

/** What is about to be opened: an alert without its record-keeping. */
export interface AlertDraft {
  kind: AlertKind;
  severity: AlertSeverity;
  subject: AlertSubject;
  message: string;
}

/** The operations that renew a license: the scheduler's, the platform's `prolong`, a person's. */
export const RENEWAL_EVENTS: ReadonlySet<OperationEvent> = new Set<OperationEvent>([
  'renew',
  'prolong',
  'license.renew',
]);

/** From this attempt on, a renewal that is to be tried again counts as failing (SPEC: "keeps failing"). */
export const RENEWAL_FAILING_FROM_ATTEMPT = 3;

/**
 * Whether a renewal attempt that did not succeed means the renewal keeps failing: it ended `failed` (a refusal, or
 * out of attempts), or it is to be tried again after `RENEWAL_FAILING_FROM_ATTEMPT` attempts. A first transient
 * 5xx that the next attempt gets past is not worth waking anyone.
 */
export function renewalKeepsFailing(status: 'failed' | 'queued' | 'waiting', attempts: number): boolean {
  return status === 'failed' || attempts >= RENEWAL_FAILING_FROM_ATTEMPT;
}

/** Kinds whose notices are repeated after `alerts.escalateAfterHours` while the alert stays open. */
export const ESCALATING_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(['renewal_failing', 'upstream_unreachable']);

/** The error code of a paid call refused for lack of money. */
export const BALANCE_REFUSED_CODE = 'upstream_balance';
/** The error code of an operation held back by `lifecycle.maxPaidCallsPerDay`. */
export const SPEND_LIMIT_CODE = 'spend_limit';

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export function moreSevere(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** The channels of the configuration: `webhook` when a URL is set, `email` when SMTP is. */
export function alertChannels(alerts: Pick<Config['alerts'], 'webhookUrl' | 'email'>): AlertChannel[] {
  return [...(alerts.webhookUrl ? (['webhook'] as const) : []), ...(alerts.email ? (['email'] as const) : [])];
}

/** How many escalations are due: one per threshold (hours after opening) that has passed. */
export function escalationsDue(openedAt: Date, now: Date, afterHours: readonly number[]): number {
  const hoursOpen = (now.getTime() - openedAt.getTime()) / 3_600_000;
  return afterHours.filter((hours) => hoursOpen >= hours).length;
}

/** Whether something last tried at `lastTriedAt` is due again (the hourly retries and probes). */
export function retryDue(lastTriedAt: Date, now: Date, everyMs: number): boolean {
  return now.getTime() - lastTriedAt.getTime() >= everyMs;
}

/** What the sweep knows of the service and license of a `renewal_failing` alert. */
export interface RenewalFacts {
  serviceStatus: ServiceStatus | null;
  servicePaidUntil: Date | null;
  /** Null when the service no longer holds that license. */
  licensePaidUntil: Date | null;
}

/**
 * The seed's "emergency mode": the license's paid time has run out while its service is still paid, so the
 * customer's panel is at risk.
 */
export function licenseLapsedWhileServicePaid(facts: RenewalFacts, now: Date): boolean {
  return (
    facts.licensePaidUntil !== null &&
    facts.licensePaidUntil < now &&
    facts.servicePaidUntil !== null &&
    facts.servicePaidUntil > now
  );
}

/** A failing renewal stops mattering once the service is not active, holds no license, or is covered. */
export function renewalNoLongerNeeded(facts: RenewalFacts): boolean {
  if (facts.serviceStatus !== 'active' || facts.licensePaidUntil === null) return true;
  return facts.servicePaidUntil !== null && facts.licensePaidUntil >= facts.servicePaidUntil;
}

export function renewalFailingDraft(
  subject: { licenseId: string; serviceId: string },
  error: { code: string; message: string } | null,
  facts: RenewalFacts,
  now: Date,
): AlertDraft {
  return {
    kind: 'renewal_failing',
    severity: licenseLapsedWhileServicePaid(facts, now) ? 'critical' : 'warning',
    subject,
    message: `the license of active service ${subject.serviceId} could not be renewed${describe(error)}`,
  };
}

export function upstreamUnreachableDraft(licensingServer: string, fn: string): AlertDraft {
  return {
    kind: 'upstream_unreachable',
    severity: 'warning',
    subject: { licensingServer },
    message: `licensing server ${licensingServer} gave no answer (call ${fn}); check its URL and that it is up`,
  };
}

export function balanceRefusedDraft(licensingServer: string, operationId: string): AlertDraft {
  return {
    kind: 'balance_refused',
    severity: 'critical',
    subject: { licensingServer, operations: [operationId] },
    message:
      `licensing server ${licensingServer} refused a paid call for lack of money; ` +
      'top up the balance, then retry the listed operations',
  };
}

export function operationFailedDraft(
  operation: { id: string; event: string },
  error: { code: string; message: string } | null,
): AlertDraft {
  return {
    kind: 'operation_failed',
    severity: 'warning',
    subject: { operationId: operation.id },
    message: `operation ${operation.event} failed and waits for a person${describe(error)}`,
  };
}

export function spendLimitDraft(licensingServer: string): AlertDraft {
  return {
    kind: 'spend_limit',
    severity: 'warning',
    subject: { licensingServer },
    message:
      `licensing server ${licensingServer} reached lifecycle.maxPaidCallsPerDay; ` +
      'operations wait for tomorrow, or raise the cap and retry them',
  };
}

export function driftDraft(licensingServer: string, countsByKind: Readonly<Record<string, number>>): AlertDraft {
  const counts = Object.entries(countsByKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  return {
    kind: 'drift',
    severity: 'warning',
    subject: { licensingServer },
    message: `reconciliation of ${licensingServer} found drift: ${counts}; adopt, delete or fix it (GET /v1/admin/drift)`,
  };
}

export function poolLowDraft(
  subject: { licensingServer: string; priceList: string },
  ordersWhilePoolEmpty: number,
  windowDays: number,
): AlertDraft {
  return {
    kind: 'pool_low',
    severity: 'info',
    subject,
    message:
      `Recommended: ${ordersWhilePoolEmpty} license(s) of price list ${subject.priceList} at ${subject.licensingServer} ` +
      `were ordered in the last ${windowDays} days while its pool was empty; ` +
      'buy ahead (e.g. yearly) with POST /v1/admin/pool/orders',
  };
}

function describe(error: { code: string; message: string } | null): string {
  return error ? ` (${error.code}: ${error.message})` : '';
}
