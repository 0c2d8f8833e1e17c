import { addMonths, startOfMonthUtc } from './lifecycle';

/**
 * When a pooled license may be given to a service (SPEC "The pool"): it is paid until later than `paidAfter` (now
 * plus the pool margin), its IP may change (no change since `ipChangeCutoff`, the start of this calendar month, or it
 * already carries the service's IP), and its key may be regenerated (not since `keyCutoff`, a month ago). The one
 * query that applies it lives in the license store (`whereEligible`).
 */
export interface PoolEligibility {
  /** Paid until strictly later than this. */
  paidAfter: Date;
  /** An IP changed before this instant does not block another change. */
  ipChangeCutoff: Date;
  /** A key regenerated at or before this instant may be regenerated again. */
  keyCutoff: Date;
}

/** The eligibility rule as of `now`, with `lifecycle.poolMarginHours` of margin on the paid time. */
export function poolEligibility(now: Date, poolMarginHours: number): PoolEligibility {
  return {
    paidAfter: new Date(now.getTime() + poolMarginHours * 3600_000),
    ipChangeCutoff: startOfMonthUtc(now),
    keyCutoff: addMonths(now, -1),
  };
}
