import type { LicensePeriod } from './period';

/**
 * What a licensing server charges (CONTRACT.md "Alerts, metrics, reports"), in the shape the API and the config file
 * take: `{"currency": "EUR", "<priceList>": {"1": 10, "12": 100, "lifetime": 500, "trial": 0}}`. Price-list ids are
 * digits, so the `currency` key never names a price list.
 */
export interface Prices {
  /** ISO 4217 code, e.g. `EUR`. */
  currency: string;
  [priceList: string]: string | PeriodPrices;
}

/** A price list's amount per period key (`"1"`, `"12"`, `"lifetime"`, `"trial"`). */
export type PeriodPrices = Partial<Record<string, number>>;

/** An amount of money. JSON numbers, rounded to cents (the `license_costs.amount` column keeps two decimals). */
export interface Money {
  amount: number;
  currency: string;
}

/** Average length of a calendar month, for prorating monthly prices by days. */
const DAYS_PER_MONTH = 365.25 / 12;

export function roundToCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/** The price of one order or renewal of `priceList` for `period`, or null when `prices` name none. */
export function priceOf(prices: Prices | null | undefined, priceList: string, period: LicensePeriod): Money | null {
  if (!prices || priceList === 'currency') return null;
  const ofList = prices[priceList];
  const amount = typeof ofList === 'object' ? ofList[String(period)] : undefined;
  return typeof amount === 'number' ? { amount: roundToCents(amount), currency: prices.currency } : null;
}

/**
 * What the paid time left on a license is worth: its period's price prorated by days (a 12-month license of 100
 * with 73 days left is worth 100 × 73 / 365.25 = 19.99). Null when the period has no price, or is not a number of
 * months (a lifetime or trial license has no paid time to prorate).
 */
export function idleValueOf(
  prices: Prices | null | undefined,
  priceList: string,
  period: LicensePeriod,
  remainingDays: number,
): Money | null {
  const price = typeof period === 'number' ? priceOf(prices, priceList, period) : null;
  if (!price || typeof period !== 'number') return null;
  const amount = (price.amount * Math.max(0, remainingDays)) / (period * DAYS_PER_MONTH);
  return { amount: roundToCents(amount), currency: price.currency };
}

/** Whole and fractional days from `now` until `paidUntil` (0 when already past). */
export function remainingDays(paidUntil: Date, now: Date): number {
  return Math.max(0, (paidUntil.getTime() - now.getTime()) / 86_400_000);
}
