import type { SandboxPrices } from './types';

/** The period code for a lifetime license. */
export const LIFETIME_PERIOD = '-100';
/** The period code for a trial license. */
export const TRIAL_PERIOD = '-50';
/** How long a trial lasts. */
export const TRIAL_DAYS = 14;
/** The `expiredate` of a lifetime license. */
export const LIFETIME_EXPIREDATE = '2099-12-31';

/** Default prices for the price lists of the seed documents (ISPmanager has a trial; the others have not). */
export const DEFAULT_PRICES: SandboxPrices = {
  '3541': { '1': 10, '12': 100, [LIFETIME_PERIOD]: 300, [TRIAL_PERIOD]: 0 },
  '4601': { '1': 30, '12': 300, [LIFETIME_PERIOD]: 900, [TRIAL_PERIOD]: 0 },
  '55331': { '1': 20, '12': 200, [LIFETIME_PERIOD]: 600 },
  '55333': { '1': 50, '12': 500, [LIFETIME_PERIOD]: 1500 },
  '55335': { '1': 100, '12': 1000, [LIFETIME_PERIOD]: 3000 },
};

/** The price table in force: the defaults, with the price lists given in the options replacing theirs. */
export function buildPriceTable(overrides: SandboxPrices | undefined): SandboxPrices {
  return { ...structuredClone(DEFAULT_PRICES), ...structuredClone(overrides ?? {}) };
}

/** The number of months a period code stands for, or null when it is not a month count. */
export function monthsOf(periodCode: string): number | null {
  if (!/^[1-9]\d{0,3}$/.test(periodCode)) return null;
  return Number(periodCode);
}

/** Money in the account's currency, kept to cents. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}
