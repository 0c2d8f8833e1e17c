import type { LicenseState } from '../domain/lifecycle';
import type { UpstreamLicenseStatus } from '../domain/licensing-module';
import type { LicensePeriod } from '../domain/period';
import type { SecretBox, SecretLocation } from '../security/secret-box';
import { fromDbTime } from './columns';

/** Where a license's activation key is stored: the encryption binds the value to it. */
export function activationKeyLocation(licenseId: string): SecretLocation {
  return { table: 'licenses', column: 'activation_key_encrypted', rowId: licenseId };
}

/** The period a license was ordered for; `trial` for a trial price list. */
export type { LicensePeriod };

/** How a license came to be ours: ordered by this service, or found upstream and adopted into the pool. */
export type LicenseSource = 'order' | 'adopted';

export interface LicenseRecord {
  id: string;
  licensingServer: string;
  upstreamId: string;
  priceList: string;
  /** As ordered (or as read on adoption); null for licenses recorded before periods were. */
  period: LicensePeriod | null;
  source: LicenseSource;
  ip: string | null;
  name: string | null;
  status: UpstreamLicenseStatus;
  paidUntil: Date | null;
  /** Decrypted; never log it. */
  activationKey: string | null;
  state: LicenseState;
  serviceId: string | null;
  operationId: string | null;
  orderReference: string | null;
  ipChangedAt: Date | null;
  keyRegeneratedAt: Date | null;
  pooledAt: Date | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * What an upstream read tells about a license: the only fields written outside a named move. State, holder and
 * operation never change this way (see `license-moves.ts`).
 */
export type UpstreamFacts = Partial<Pick<LicenseRecord, 'status' | 'paidUntil' | 'ip' | 'name' | 'activationKey'>>;

export interface LicenseRow {
  id: string;
  licensing_server: string;
  upstream_id: string;
  price_list: string;
  period: string | null;
  source: LicenseSource;
  ip: string | null;
  name: string | null;
  status: UpstreamLicenseStatus;
  paid_until: string | null;
  activation_key_encrypted: string | null;
  state: LicenseState;
  service_id: string | null;
  operation_id: string | null;
  order_reference: string | null;
  ip_changed_at: string | null;
  key_regenerated_at: string | null;
  pooled_at: string | null;
  created_at: string;
  updated_at: string;
}

export function licensePeriodToDb(period: LicensePeriod): string {
  return String(period);
}

export function licensePeriodFromDb(value: string | null): LicensePeriod | null {
  if (value === null) return null;
  return value === 'lifetime' || value === 'trial' ? value : Number(value);
}

/** Rows to records and back, in one place; the activation key is encrypted bound to its row. */
export class LicenseRowMapper {
  constructor(private readonly secretBox: SecretBox) {}

  /** The columns of the upstream facts given (absent fields are left alone). */
  factsToRow(id: string, facts: UpstreamFacts): Partial<LicenseRow> {
    const row: Partial<LicenseRow> = {};
    if (facts.status !== undefined) row.status = facts.status;
    if (facts.paidUntil !== undefined) row.paid_until = facts.paidUntil?.toISOString() ?? null;
    if (facts.ip !== undefined) row.ip = facts.ip;
    if (facts.name !== undefined) row.name = facts.name;
    if (facts.activationKey !== undefined) row.activation_key_encrypted = this.encryptKey(id, facts.activationKey);
    return row;
  }

  encryptKey(id: string, activationKey: string | null): string | null {
    return activationKey === null ? null : this.secretBox.encrypt(activationKey, activationKeyLocation(id));
  }

  toRecord(row: LicenseRow): LicenseRecord {
    return {
      id: row.id,
      licensingServer: row.licensing_server,
      upstreamId: row.upstream_id,
      priceList: row.price_list,
      period: licensePeriodFromDb(row.period),
      source: row.source,
      ip: row.ip,
      name: row.name,
      status: row.status,
      paidUntil: fromDbTime(row.paid_until),
      activationKey: row.activation_key_encrypted
        ? this.secretBox.decrypt(row.activation_key_encrypted, activationKeyLocation(row.id))
        : null,
      state: row.state,
      serviceId: row.service_id,
      operationId: row.operation_id,
      orderReference: row.order_reference,
      ipChangedAt: fromDbTime(row.ip_changed_at),
      keyRegeneratedAt: fromDbTime(row.key_regenerated_at),
      pooledAt: fromDbTime(row.pooled_at),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
