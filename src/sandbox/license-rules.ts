import { SandboxApiError } from './api-error';
import { addDaysUtc, addMonthsUtc, formatDay, parseDay, sameUtcMonth, startOfUtcDay } from './calendar';
import type { SandboxStatusCode } from './types';

/** An unpaid license is deleted this many days after its paid time ends. */
export const UNPAID_DELETION_DAYS = 30;

/** A license as the ledger keeps it. */
export interface LicenseRecord {
  id: string;
  owner: string;
  pricelist: string;
  period: string;
  ip: string;
  licname: string;
  remoteid: string;
  lickey: string;
  expiredate: string;
  lifetime: boolean;
  trial: boolean;
  suspendedByRequest: boolean;
  createdAt: Date;
  ipChangedAt: Date | null;
  keyRegeneratedAt: Date | null;
  deletedByRequestAt: Date | null;
  /** `autoprolong` as the order sent it (null when it sent none): recorded, never acted on; renewals are explicit. */
  autoprolong: string | null;
  /** Until then the license is `processing` (status 5): no expiry and no key shown yet. Null: never processing. */
  processingUntil: Date | null;
}

/** The first moment the license is no longer paid for (midnight UTC after `expiredate`). */
export function paidEnd(license: LicenseRecord): Date {
  return addDaysUtc(parseDay(license.expiredate), 1);
}

export function isPaidAt(license: LicenseRecord, now: Date): boolean {
  return license.lifetime || now < paidEnd(license);
}

/** When the license is (or would be) deleted for non-payment; null for lifetime licenses. */
export function unpaidDeletionAt(license: LicenseRecord): Date | null {
  return license.lifetime ? null : addDaysUtc(paidEnd(license), UNPAID_DELETION_DAYS);
}

/** Deleted by request, or unpaid for 30 days: the API no longer knows it. */
export function isGone(license: LicenseRecord, now: Date): boolean {
  const deletion = unpaidDeletionAt(license);
  return license.deletedByRequestAt !== null || (deletion !== null && now >= deletion);
}

/** Whether the upstream is still processing the order (see `Ledger.setOrderProcessing`). */
export function isProcessingAt(license: LicenseRecord, now: Date): boolean {
  return license.processingUntil !== null && now < license.processingUntil;
}

/** The status code the API reports: 5 processing, 2 active, 3 suspended (by request or non-payment), 4 deleted. */
export function statusAt(license: LicenseRecord, now: Date): SandboxStatusCode {
  if (isGone(license, now)) return 4;
  if (isProcessingAt(license, now)) return 5;
  if (license.suspendedByRequest || !isPaidAt(license, now)) return 3;
  return 2;
}

/** Refuses a second IP change within one UTC calendar month. */
export function assertIpChangeAllowed(license: LicenseRecord, now: Date): void {
  if (license.ipChangedAt && sameUtcMonth(license.ipChangedAt, now)) {
    throw new SandboxApiError('limit', 'ip', 'The IP address may be changed only once per calendar month');
  }
}

/** Refuses a key regeneration within a month of the last one (a never-regenerated key may be regenerated at once). */
export function assertKeyRegenerationAllowed(license: LicenseRecord, now: Date): void {
  if (license.keyRegeneratedAt && now < addMonthsUtc(license.keyRegeneratedAt, 1)) {
    throw new SandboxApiError('limit', 'lickey', 'The activation key may be regenerated only once a month');
  }
}

/** The `expiredate` after renewing for `months` from the later of the current `expiredate` and today. */
export function renewedExpiredate(license: LicenseRecord, months: number, now: Date): string {
  const today = startOfUtcDay(now);
  const current = parseDay(license.expiredate);
  const from = current > today ? current : today;
  return formatDay(addMonthsUtc(from, months));
}
