import { addMonths } from './lifecycle';
import type { Period } from './period';

/**
 * The money guards' arithmetic (SPEC "Money guards"), pure: how far ahead a hook may say a service is paid, how many
 * renewals a target needs, when a day's paid-call cap lifts, how long to wait on an upstream still processing.
 */

/** The latest `paidUntil` a hook may carry: `maxPaidAheadMonths` calendar months past `now`. */
export function latestPaidUntil(now: Date, maxPaidAheadMonths: number): Date {
  return addMonths(now, maxPaidAheadMonths);
}

/**
 * How many renewals by `period` take a license paid until `paidUntil` to at least `target`, counting at most
 * `limit + 1` (enough to tell that the limit is passed). The upstream renews from the later of the expiry and now.
 * A lifetime renewal covers any target at once.
 */
export function renewalsNeeded(paidUntil: Date, now: Date, target: Date, period: Period, limit: number): number {
  if (paidUntil >= target) return 0;
  if (period === 'lifetime') return 1;
  const from = paidUntil > now ? paidUntil : now;
  let count = 0;
  while (count <= limit && addMonths(from, (count + 1) * period) < target) count++;
  return count + 1;
}

/** Midnight UTC after `now`: when a day's paid-call cap lifts. */
export function startOfNextUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** The first and the longest wait on a license the upstream is still processing. */
export const PROCESSING_WAIT_MIN_MS = 60_000;
export const PROCESSING_WAIT_MAX_MS = 3_600_000;

/**
 * How long to wait before looking at a license the upstream has been processing for `processingForMs`: as long as
 * it has already taken, from 1 minute up to 1 hour. Waiting as long again as has passed doubles the total each time
 * (1, 2, 4, 8 … minutes), with no counter to keep.
 */
export function processingWaitMs(processingForMs: number): number {
  return Math.min(PROCESSING_WAIT_MAX_MS, Math.max(PROCESSING_WAIT_MIN_MS, processingForMs));
}
