import type { UpstreamLicense, UpstreamLicenseStatus } from '../../src/domain/licensing-module';
import { UpstreamProtocolError } from '../../src/domain/upstream-errors';
import type { LicenseFields } from './xml-reply';

/** BILLmanager's license status codes. Other numbers (none known) read as `'unknown'`, like code 0. */
const STATUS_BY_CODE: ReadonlyMap<number, UpstreamLicenseStatus> = new Map([
  [0, 'unknown'],
  [1, 'ordered'],
  [2, 'active'],
  [3, 'suspended'],
  [4, 'deleted'],
  [5, 'processing'],
]);

const END_OF_DAY_MS = 24 * 60 * 60 * 1000 - 1;

/**
 * Turns the fields of one license (a `soft.edit` reply, or an `<elem>` of `soft`) into an {@link UpstreamLicense}.
 * `pricelist` and `status` are required; so is the id (`upstreamId`, else `<id>`). A `<elid>` that names another
 * license is a protocol error.
 * @throws UpstreamProtocolError when a required field is missing or unreadable.
 */
export function toUpstreamLicense(fields: LicenseFields, func: string, upstreamId?: string): UpstreamLicense {
  const id = (upstreamId ?? fields.id ?? '').trim();
  if (id === '') throw missingField(func, 'id');
  if (upstreamId !== undefined && fields.elid !== undefined && fields.elid.trim() !== upstreamId) {
    throw new UpstreamProtocolError(
      `Unreadable reply from the licensing server to ${func}: <elid> names another license`,
    );
  }
  const priceList = fields.pricelist?.trim();
  if (!priceList) throw missingField(func, 'pricelist');
  return {
    upstreamId: id,
    priceList,
    ip: emptyToNull(fields.ip),
    name: fields.licname?.trim() ?? '',
    status: parseStatus(fields.status, func),
    paidUntil: parseExpireDate(fields.expiredate, func),
    activationKey: emptyToNull(fields.lickey),
    reference: emptyToNull(fields.remoteid),
  };
}

/**
 * Reads `expiredate`. The upstream gives a calendar date and the license is paid THROUGH that day, so the result is
 * the last millisecond of that day in UTC (`2025-03-31` → `2025-03-31T23:59:59.999Z`): a service paid until that
 * instant is covered, and the license counts as lapsed only once the day is over. Empty or `0000-00-00` → null.
 * @throws UpstreamProtocolError for anything that is not a real `YYYY-MM-DD` date.
 */
export function parseExpireDate(text: string | undefined, func: string): Date | null {
  const value = text?.trim() ?? '';
  if (value === '' || value === '0000-00-00') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const [year, month, day] = match ? match.slice(1).map(Number) : [];
  if (year === undefined || month === undefined || day === undefined) throw unreadableField(func, 'expiredate');
  const startOfDay = Date.UTC(year, month - 1, day);
  const date = new Date(startOfDay);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw unreadableField(func, 'expiredate');
  }
  return new Date(startOfDay + END_OF_DAY_MS);
}

function parseStatus(text: string | undefined, func: string): UpstreamLicenseStatus {
  const value = text?.trim();
  if (value === undefined) throw missingField(func, 'status');
  if (!/^\d{1,3}$/.test(value)) throw unreadableField(func, 'status');
  return STATUS_BY_CODE.get(Number(value)) ?? 'unknown';
}

function emptyToNull(text: string | undefined): string | null {
  const value = text?.trim();
  return value ? value : null;
}

function missingField(func: string, field: string): UpstreamProtocolError {
  return new UpstreamProtocolError(`Unreadable reply from the licensing server to ${func}: no <${field}>`);
}

function unreadableField(func: string, field: string): UpstreamProtocolError {
  return new UpstreamProtocolError(`Unreadable reply from the licensing server to ${func}: <${field}> is not valid`);
}
