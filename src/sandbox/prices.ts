import type { SandboxPrices } from './types';

/** The period code for a lifetime license. */
export const LIFETIME_PERIOD = '-100';
/** The period code for a trial license. */
export const TRIAL_PERIOD = '-50';
/** How long a trial lasts. */
export const TRIAL_DAYS = 14;
/** The `expiredate` of a lifetime license. */
export const LIFETIME_EXPIREDATE = '2099-12-31';

/** The ISPmanager 6 trial price list: it can be ordered for the trial period only. */
export const TRIAL_PRICE_LIST = '55239';

/**
 * Default prices: the price lists of the seed documents (ISPmanager 5 has a trial; BILLmanager has not) and
 * ISPmanager 6's as its vendor publishes them (55227 Lite, 55228 Pro, 55229 Host, 55230 Business; 55239 is the
 * 14-day trial, which nothing else can be ordered for).
 */
export const DEFAULT_PRICES: SandboxPrices = {
  '3541': { '1': 10, '12': 100, [LIFETIME_PERIOD]: 300, [TRIAL_PERIOD]: 0 },
  '4601': { '1': 30, '12': 300, [LIFETIME_PERIOD]: 900, [TRIAL_PERIOD]: 0 },
  '55227': { '1': 8, '12': 80, [LIFETIME_PERIOD]: 240 },
  '55228': { '1': 14, '12': 140, [LIFETIME_PERIOD]: 420 },
  '55229': { '1': 25, '12': 250, [LIFETIME_PERIOD]: 750 },
  '55230': { '1': 40, '12': 400, [LIFETIME_PERIOD]: 1200 },
  [TRIAL_PRICE_LIST]: { [TRIAL_PERIOD]: 0 },
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
