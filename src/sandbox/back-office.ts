import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { AccountBook } from './accounts';
import { formatDay, parseDay } from './calendar';
import type { SandboxClock } from './clock';
import { MAX_TEXT_LENGTH, newLicenseExpiredate, snapshot, type Ledger } from './ledger';
import type { LicenseRecord } from './license-rules';
import { LIFETIME_EXPIREDATE, LIFETIME_PERIOD, TRIAL_PERIOD, monthsOf } from './prices';
import type { OutsideLicenseChanges, OutsideLicenseSpec, SandboxLicense } from './types';

/** BILLmanager's own module keeps its free licenses under this name … */
export const BILLMANAGER_POOL_NAME = 'free.lic';
/** … on this IP. */
export const BILLMANAGER_POOL_IP = '0.0.0.0';

/** The license named is unknown, or already deleted. */
export class UnknownSandboxLicenseError extends Error {
  constructor(readonly licenseId: string) {
    super(`No live license ${licenseId} in the sandbox`);
    this.name = 'UnknownSandboxLicenseError';
  }
}

/** A change behind the API's back that makes no sense (bad IP, date, period code, status, account). */
export class InvalidOutsideChangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOutsideChangeError';
  }
}

/**
 * What happens to an account's licenses outside the API the service speaks: a license ordered by hand in the
 * upstream's panel or by BILLmanager's own module, edited or deleted there. Nothing here is charged, checked against
 * cooldowns, or written to the call log: a test can tell the service's own calls from these by the log alone.
 */
export class BackOffice {
  constructor(
    private readonly clock: SandboxClock,
    private readonly accounts: AccountBook,
    private readonly ledger: Ledger,
  ) {}

  /** Creates a license as if ordered elsewhere; by default BILLmanager's pool convention (`free.lic` on `0.0.0.0`). */
  create(spec: OutsideLicenseSpec): SandboxLicense {
    const now = this.clock.now();
    const owner = spec.username ?? this.accounts.defaultUsername;
    if (!(owner in this.accounts.balances())) throw new InvalidOutsideChangeError(`No sandbox account ${owner}`);
    const period = requirePeriodCode(spec.period ?? '12');
    const ip = requireIp(spec.ip ?? BILLMANAGER_POOL_IP);
    const expiredate = spec.expiredate === undefined ? newLicenseExpiredate(period, now) : requireDay(spec.expiredate);
    const license = this.ledger.insert({
      owner,
      pricelist: requirePricelist(spec.pricelist),
      period,
      ip,
      licname: requireText('licname', spec.licname ?? BILLMANAGER_POOL_NAME),
      remoteid: requireText('remoteid', spec.remoteid ?? ''),
      lickey: randomBytes(16).toString('hex').toUpperCase(),
      expiredate,
      lifetime: expiredate === LIFETIME_EXPIREDATE,
      trial: period === TRIAL_PERIOD,
      suspendedByRequest: spec.status === 'suspended',
      createdAt: now,
      ipChangedAt: null,
      keyRegeneratedAt: null,
      deletedByRequestAt: null,
      autoprolong: null,
      processingUntil: null,
    });
    return snapshot(license, now);
  }

  /** Changes a live license; the fields not given stay. An IP changed here does not count as the month's change. */
  edit(licenseId: string, changes: OutsideLicenseChanges): SandboxLicense {
    const license = this.live(licenseId);
    const checked = {
      ip: changes.ip === undefined ? undefined : requireIp(changes.ip),
      licname: changes.licname === undefined ? undefined : requireText('licname', changes.licname),
      pricelist: changes.pricelist === undefined ? undefined : requirePricelist(changes.pricelist),
      expiredate: changes.expiredate === undefined ? undefined : requireDay(changes.expiredate),
    };
    if (checked.ip !== undefined) license.ip = checked.ip;
    if (checked.licname !== undefined) license.licname = checked.licname;
    if (checked.pricelist !== undefined) license.pricelist = checked.pricelist;
    if (checked.expiredate !== undefined) {
      license.expiredate = checked.expiredate;
      license.lifetime = checked.expiredate === LIFETIME_EXPIREDATE;
    }
    if (changes.status !== undefined) license.suspendedByRequest = changes.status === 'suspended';
    if (license.trial) this.ledger.noteTrialIp(license.ip);
    return snapshot(license, this.clock.now());
  }

  /** Deletes a live license at once, as `soft.delete` would, but without any API call. */
  delete(licenseId: string): SandboxLicense {
    const license = this.live(licenseId);
    license.deletedByRequestAt = this.clock.now();
    return snapshot(license, this.clock.now());
  }

  private live(licenseId: string): LicenseRecord {
    const license = this.ledger.findLive(licenseId);
    if (!license) throw new UnknownSandboxLicenseError(licenseId);
    return license;
  }
}

function requirePeriodCode(code: string): string {
  if (code === LIFETIME_PERIOD || code === TRIAL_PERIOD || monthsOf(code) !== null) return code;
  throw new InvalidOutsideChangeError(`period must be a number of months, ${LIFETIME_PERIOD} or ${TRIAL_PERIOD}`);
}

function requirePricelist(pricelist: string): string {
  if (/^\d{1,18}$/.test(pricelist)) return pricelist;
  throw new InvalidOutsideChangeError('pricelist must be a price-list id (digits)');
}

function requireIp(ip: string): string {
  if (isIP(ip) !== 0) return ip;
  throw new InvalidOutsideChangeError(`Not an IP address: ${ip || '(none)'}`);
}

function requireDay(day: string): string {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(day) ? parseDay(day) : null;
  if (parsed && !Number.isNaN(parsed.getTime()) && formatDay(parsed) === day) return day;
  throw new InvalidOutsideChangeError(`expiredate must be a real YYYY-MM-DD day, not ${day}`);
}

function requireText(field: string, value: string): string {
  if (value.length <= MAX_TEXT_LENGTH) return value;
  throw new InvalidOutsideChangeError(`${field} is longer than ${MAX_TEXT_LENGTH} characters`);
}
