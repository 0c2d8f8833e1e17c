import type { AdoptEvent } from './adoption';
import type { ManualEvent } from './manual-actions';
import type { Period } from './period';

/** The events the hosting platform sends. */
export const HOOK_EVENTS = ['open', 'prolong', 'suspend', 'resume', 'close', 'setparam'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/**
 * Hook events, plus `renew` (the scheduler renewing the license of an active service before it lapses) and the
 * operations a person asks for (`license.<action>`, `service.provide`, `pool.order`).
 */
export type OperationEvent = HookEvent | 'renew' | ManualEvent | AdoptEvent;

export type OperationStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed';

/** An operation that no longer holds back the operations after it. */
export function isSettled(status: OperationStatus): boolean {
  return status === 'succeeded';
}

/** What a hook says about the service; only `id` is always there. */
export interface ServiceFacts {
  id: string;
  name?: string;
  ip?: string;
  tariffPlan?: string;
  period?: Period;
  /** RFC 3339. */
  paidUntil?: string;
  controlPanel?: string;
}

export type ServiceStatus = 'pending' | 'active' | 'suspended' | 'closed';

/**
 * Our side of a license: `bound` to a service, `reserved` by an operation that is reusing or ordering it,
 * `pooled` (paid, free, kept upstream), `released` (deleted upstream) or `expired` (left the pool unpaid).
 */
export type LicenseState = 'bound' | 'reserved' | 'pooled' | 'released' | 'expired';

export interface OperationResult {
  licenseId: string | null;
  upstreamId: string | null;
  source: 'pool' | 'order' | 'none';
  paidUntil: string | null;
}

export interface OperationError {
  code: string;
  message: string;
}

/** The name a license carries upstream: it identifies the service (the platform's id and host name). */
export function licenseNameFor(service: { id: string; name?: string | null }): string {
  const name = service.name ? `${service.id} ${service.name}` : service.id;
  // Control characters have no place in a name shown upstream (and U+0000 cannot be stored by PostgreSQL).
  const printable = Array.from(name, (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('');
  return printable.slice(0, 128);
}

/** Adds calendar months in UTC, clamping the day to the month's end (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

export function startOfMonthUtc(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

export function startOfNextMonthUtc(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** The upstream allows one IP change per calendar month; the IP given at order, or the same IP again, is no change. */
export function ipChangeAllowed(
  license: { ip: string | null; ipChangedAt: Date | null },
  newIp: string,
  now: Date,
): boolean {
  if (license.ip === newIp) return true;
  return !license.ipChangedAt || license.ipChangedAt < startOfMonthUtc(now);
}

/** The activation key may be regenerated once a month; a key never regenerated may be at once. */
export function keyRegenerationAllowed(keyRegeneratedAt: Date | null, now: Date): boolean {
  return !keyRegeneratedAt || addMonths(keyRegeneratedAt, 1) <= now;
}

/** Exponential back-off with full jitter: a random delay in [base·2^(attempt-1) / 2, base·2^(attempt-1)], capped. */
export function retryDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
