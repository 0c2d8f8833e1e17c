import { randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { AccountBook } from './accounts';
import { SandboxApiError, missingLicense } from './api-error';
import { addDaysUtc, addMonthsUtc, formatDay, startOfUtcDay } from './calendar';
import type { SandboxClock } from './clock';
import {
  assertIpChangeAllowed,
  assertKeyRegenerationAllowed,
  isGone,
  isPaidAt,
  type LicenseRecord,
  renewedExpiredate,
  statusAt,
  unpaidDeletionAt,
} from './license-rules';
import { LIFETIME_EXPIREDATE, LIFETIME_PERIOD, TRIAL_DAYS, TRIAL_PERIOD, monthsOf } from './prices';
import type { SandboxLicense, SandboxPrices } from './types';

/** Longest `licname` / `remoteid` the sandbox accepts. */
export const MAX_TEXT_LENGTH = 128;

/** What an order carries. */
export interface OrderInput {
  owner: string;
  pricelist: string;
  period: string;
  ip: string;
  licname: string;
  remoteid: string;
  /** As sent, or null when the order did not send it; any value is accepted (the sandbox never renews by itself). */
  autoprolong: string | null;
}

/** What a `soft.edit` write asks for. */
export interface EditInput {
  ip?: string;
  licname?: string;
  newKey: boolean;
}

/** The licenses of every account and the upstream rules that govern them. */
export class Ledger {
  private readonly records = new Map<string, LicenseRecord>();
  /** Ids ever handed out, kept across resets so that an id never means two licenses. */
  private readonly issuedIds = new Set<string>();
  /** IPs that ever held a trial license. */
  private readonly trialIps = new Set<string>();
  /** How long a new order stays `processing` upstream (sandbox clock); 0: active at once. */
  private orderProcessingMs = 0;

  constructor(
    private readonly clock: SandboxClock,
    private readonly accounts: AccountBook,
    private readonly prices: SandboxPrices,
  ) {}

  /** Orders and pays for a new license; returns it. */
  order(input: OrderInput): LicenseRecord {
    const now = this.clock.now();
    const price = this.priceOf(input.pricelist, input.period);
    const expiredate = newLicenseExpiredate(input.period, now);
    requireIp(input.ip);
    requireText('licname', input.licname);
    requireText('remoteid', input.remoteid);
    const trial = input.period === TRIAL_PERIOD;
    if (trial && this.trialIps.has(input.ip)) {
      throw new SandboxApiError('exists', 'ip', `A trial license was already issued for ${input.ip}`);
    }
    this.accounts.charge(input.owner, price);
    if (trial) this.trialIps.add(input.ip);
    const license: LicenseRecord = {
      ...input,
      id: this.newId(),
      lickey: newActivationKey(),
      expiredate,
      lifetime: input.period === LIFETIME_PERIOD,
      trial,
      suspendedByRequest: false,
      createdAt: now,
      ipChangedAt: null,
      keyRegeneratedAt: null,
      deletedByRequestAt: null,
      processingUntil: this.orderProcessingMs > 0 ? new Date(now.getTime() + this.orderProcessingMs) : null,
    };
    this.records.set(license.id, license);
    return license;
  }

  /**
   * Licenses ordered from now on stay `processing` (status 5, no expiry, no key shown) for `ms` of sandbox time, as
   * a real upstream's may for a while after the order; 0 (the default) makes them active at once.
   */
  setOrderProcessing(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('processing time must be a non-negative number of ms');
    this.orderProcessingMs = ms;
  }

  /** A license of `owner` that the API still knows, or a `missing` error. */
  get(owner: string, elid: string): LicenseRecord {
    const license = this.records.get(elid);
    if (!license || license.owner !== owner || isGone(license, this.clock.now())) throw missingLicense(elid);
    return license;
  }

  /** The licenses of `owner` that the API still knows, oldest first. */
  list(owner: string): LicenseRecord[] {
    const now = this.clock.now();
    return [...this.records.values()].filter((l) => l.owner === owner && !isGone(l, now));
  }

  /** Changes IP and/or name and/or regenerates the key, all or nothing. */
  edit(owner: string, elid: string, changes: EditInput): void {
    const license = this.get(owner, elid);
    const now = this.clock.now();
    if (changes.ip !== undefined) requireIp(changes.ip);
    if (changes.licname !== undefined) requireText('licname', changes.licname);
    const ipChanges = changes.ip !== undefined && changes.ip !== license.ip;
    if (ipChanges) assertIpChangeAllowed(license, now);
    if (changes.newKey) assertKeyRegenerationAllowed(license, now);
    if (ipChanges) {
      license.ip = changes.ip!;
      license.ipChangedAt = now;
      if (license.trial) this.trialIps.add(license.ip);
    }
    if (changes.licname !== undefined) license.licname = changes.licname;
    if (changes.newKey) {
      license.lickey = newActivationKey();
      license.keyRegeneratedAt = now;
    }
  }

  /** Renews and pays for one more period, from the later of `expiredate` and today. */
  prolong(owner: string, elid: string, period: string): void {
    const license = this.get(owner, elid);
    if (license.lifetime) throw new SandboxApiError('value', 'period', 'A lifetime license needs no renewal');
    if (period === TRIAL_PERIOD) throw new SandboxApiError('value', 'period', 'A trial cannot be renewed');
    if (license.trial)
      throw new SandboxApiError('value', 'period', 'A trial license cannot be renewed: order a paid one');
    const price = this.priceOf(license.pricelist, period);
    const months = period === LIFETIME_PERIOD ? null : requireMonths(period);
    this.accounts.charge(owner, price);
    license.expiredate = months === null ? LIFETIME_EXPIREDATE : renewedExpiredate(license, months, this.clock.now());
    license.lifetime = months === null;
    license.period = period;
  }

  suspend(owner: string, elid: string): void {
    this.get(owner, elid).suspendedByRequest = true;
  }

  /** Lifts a suspension by request; refused (`limit`/`expiredate`) while the paid time has ended. */
  resume(owner: string, elid: string): void {
    const license = this.get(owner, elid);
    if (!isPaidAt(license, this.clock.now())) {
      throw new SandboxApiError('limit', 'expiredate', 'The paid time has ended: renew the license before resuming');
    }
    license.suspendedByRequest = false;
  }

  delete(owner: string, elid: string): void {
    this.get(owner, elid).deletedByRequestAt = this.clock.now();
  }

  /**
   * Stores a license that no order of this API made (see `back-office.ts`): gives it a new id, charges nothing, and
   * counts its IP as having had a trial when it is one.
   */
  insert(fields: Omit<LicenseRecord, 'id'>): LicenseRecord {
    const license: LicenseRecord = { ...fields, id: this.newId() };
    this.records.set(license.id, license);
    if (license.trial) this.trialIps.add(license.ip);
    return license;
  }

  /** A license of any account that the API still knows (not deleted), for changes made behind the API's back. */
  findLive(elid: string): LicenseRecord | undefined {
    const license = this.records.get(elid);
    return license && !isGone(license, this.clock.now()) ? license : undefined;
  }

  /** Counts `ip` as having had a trial (a trial license moved there by hand). */
  noteTrialIp(ip: string): void {
    this.trialIps.add(ip);
  }

  /** Every license ever ordered since the last reset, deleted ones included. */
  snapshots(): SandboxLicense[] {
    const now = this.clock.now();
    return [...this.records.values()].map((license) => snapshot(license, now));
  }

  /** Forgets every license and the trial history; new orders are active at once again. */
  reset(): void {
    this.records.clear();
    this.trialIps.clear();
    this.orderProcessingMs = 0;
  }

  private priceOf(pricelist: string, period: string): number {
    const periods = Object.hasOwn(this.prices, pricelist) ? this.prices[pricelist] : undefined;
    if (!periods) throw new SandboxApiError('value', 'pricelist', `Unknown price list: ${pricelist || '(none)'}`);
    const price = Object.hasOwn(periods, period) ? periods[period] : undefined;
    if (price === undefined) {
      throw new SandboxApiError('value', 'period', `Price list ${pricelist} cannot be ordered for period ${period}`);
    }
    return price;
  }

  private newId(): string {
    let id: string;
    do id = String(randomInt(1_000_000, 10_000_000));
    while (this.issuedIds.has(id));
    this.issuedIds.add(id);
    return id;
  }
}

/** The `expiredate` of a license ordered `now` for `period` (a month count, lifetime or trial code). */
export function newLicenseExpiredate(period: string, now: Date): string {
  if (period === LIFETIME_PERIOD) return LIFETIME_EXPIREDATE;
  const today = startOfUtcDay(now);
  if (period === TRIAL_PERIOD) return formatDay(addDaysUtc(today, TRIAL_DAYS));
  return formatDay(addMonthsUtc(today, requireMonths(period)));
}

function requireMonths(period: string): number {
  const months = monthsOf(period);
  if (months === null) throw new SandboxApiError('value', 'period', `Not a period: ${period}`);
  return months;
}

function requireIp(ip: string): void {
  if (isIP(ip) === 0) throw new SandboxApiError('value', 'ip', `Not an IP address: ${ip || '(none)'}`);
}

function requireText(field: string, value: string): void {
  if (value.length > MAX_TEXT_LENGTH) {
    throw new SandboxApiError('value', field, `${field} is longer than ${MAX_TEXT_LENGTH} characters`);
  }
}

function newActivationKey(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function snapshot(license: LicenseRecord, now: Date): SandboxLicense {
  const status = statusAt(license, now);
  const unpaidDeletion = isPaidAt(license, now) ? null : unpaidDeletionAt(license);
  const deletedAt = license.deletedByRequestAt ?? unpaidDeletion;
  return {
    id: license.id,
    owner: license.owner,
    pricelist: license.pricelist,
    period: license.period,
    ip: license.ip,
    licname: license.licname,
    remoteid: license.remoteid,
    lickey: license.lickey,
    status,
    expiredate: license.expiredate,
    lifetime: license.lifetime,
    trial: license.trial,
    suspendedByRequest: license.suspendedByRequest,
    createdAt: license.createdAt.toISOString(),
    ipChangedAt: license.ipChangedAt?.toISOString() ?? null,
    keyRegeneratedAt: license.keyRegeneratedAt?.toISOString() ?? null,
    deleted: status === 4,
    deletedAt: deletedAt?.toISOString() ?? null,
    autoprolong: license.autoprolong,
  };
}
