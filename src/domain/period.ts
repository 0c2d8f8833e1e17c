/**
 * A length of paid time: a positive whole number of months, or `'lifetime'`.
 */
export type Period = number | 'lifetime';

/** The period of a trial price list (SPEC.md "Trials"): ordered once per IP, never renewed, never pooled. */
export const TRIAL_PERIOD = 'trial';

/**
 * What a license is ordered for: a {@link Period}, or `'trial'`. `'trial'` is a period value only in enumeration
 * values and license items; period comparisons and hooks never take it.
 */
export type LicensePeriod = Period | typeof TRIAL_PERIOD;

/** The periods an ISPsystem price list can be ordered for unless the enumeration value says otherwise. */
export const DEFAULT_ORDERABLE_PERIODS: readonly Period[] = [1, 12, 'lifetime'];

export function isPeriod(value: unknown): value is Period {
  return value === 'lifetime' || (typeof value === 'number' && Number.isInteger(value) && value > 0);
}

export function isLicensePeriod(value: unknown): value is LicensePeriod {
  return value === TRIAL_PERIOD || isPeriod(value);
}

/** Whether a license (or an order) is a trial: never renewed, never pooled. */
export function isTrial(period: LicensePeriod | null | undefined): period is typeof TRIAL_PERIOD {
  return period === TRIAL_PERIOD;
}

/** Whether an enumeration value's periods make it a trial value: exactly `["trial"]`. */
export function isTrialPeriods(periods: readonly LicensePeriod[] | null | undefined): boolean {
  return periods?.length === 1 && periods[0] === TRIAL_PERIOD;
}

export function samePeriod(a: Period, b: Period): boolean {
  return a === b;
}

/** Orders periods by length; `lifetime` is longer than any number of months. */
export function comparePeriods(a: Period, b: Period): number {
  if (a === b) return 0;
  if (a === 'lifetime') return 1;
  if (b === 'lifetime') return -1;
  return a - b;
}

export function formatPeriod(period: Period): string {
  return period === 'lifetime' ? 'lifetime' : `${period} month${period === 1 ? '' : 's'}`;
}
