/**
 * A length of paid time: a positive whole number of months, or `'lifetime'`.
 */
export type Period = number | 'lifetime';

/** The periods an ISPsystem price list can be ordered for unless the enumeration value says otherwise. */
export const DEFAULT_ORDERABLE_PERIODS: readonly Period[] = [1, 12, 'lifetime'];

export function isPeriod(value: unknown): value is Period {
  return value === 'lifetime' || (typeof value === 'number' && Number.isInteger(value) && value > 0);
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
