import type { Knex } from 'knex';
import type { Prices } from '../domain/prices';
import type { SecretLocation } from '../security/secret-box';
import { handOverToApi, managedByFromDb, type ManagedBy } from './catalog-provenance';
import { fromJson, toJson } from './columns';

/** Where a licensing server's password is stored: the encryption binds the value to it. */
export function passwordLocation(licensingServerKey: string): SecretLocation {
  return { table: 'licensing_servers', column: 'password_encrypted', rowId: licensingServerKey };
}

export interface LicensingServerRecord {
  key: string;
  module: string;
  url: string;
  username: string;
  /** The SecretBox envelope of the password, bound to {@link passwordLocation} of this key. */
  passwordEncrypted: string;
  settings: Record<string, unknown>;
  /** What it charges, or null when unknown (orders and renewals are then recorded unpriced). */
  prices: Prices | null;
  managedBy: ManagedBy;
  createdAt: string;
  updatedAt: string;
}

export interface LicensingServerStore {
  /** Inserts or replaces; `createdAt` of an existing row is kept. */
  upsert(record: Omit<LicensingServerRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<LicensingServerRecord>;
  get(key: string): Promise<LicensingServerRecord | null>;
  list(): Promise<LicensingServerRecord[]>;
  /** False when there was no such row. */
  delete(key: string): Promise<boolean>;
  /** Servers managed by the file whose key is not in `keep` become `api`-managed; returns their keys. */
  handOverToApi(keep: readonly string[]): Promise<string[]>;
}

interface Row {
  key: string;
  module: string;
  url: string;
  username: string;
  password_encrypted: string;
  settings: string;
  prices: string | null;
  managed_by: string;
  created_at: string;
  updated_at: string;
}

const TABLE = 'licensing_servers';

export class KnexLicensingServerStore implements LicensingServerStore {
  constructor(private readonly db: Knex) {}

  async upsert(
    record: Omit<LicensingServerRecord, 'createdAt' | 'updatedAt'>,
    now: Date,
  ): Promise<LicensingServerRecord> {
    const at = now.toISOString();
    const row = {
      key: record.key,
      module: record.module,
      url: record.url,
      username: record.username,
      password_encrypted: record.passwordEncrypted,
      settings: toJson(record.settings),
      prices: record.prices ? toJson(record.prices) : null,
      managed_by: record.managedBy,
      updated_at: at,
    };
    await this.db(TABLE)
      .insert({ ...row, created_at: at })
      .onConflict('key')
      .merge(row);
    return (await this.get(record.key))!;
  }

  async get(key: string): Promise<LicensingServerRecord | null> {
    const row = await this.db<Row>(TABLE).where({ key }).first();
    return row ? toRecord(row) : null;
  }

  async list(): Promise<LicensingServerRecord[]> {
    const rows = await this.db<Row>(TABLE).orderBy('key');
    return rows.map(toRecord);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db(TABLE).where({ key }).delete()) > 0;
  }

  handOverToApi(keep: readonly string[]): Promise<string[]> {
    return handOverToApi(this.db, TABLE, 'key', keep);
  }
}

function toRecord(row: Row): LicensingServerRecord {
  return {
    key: row.key,
    module: row.module,
    url: row.url,
    username: row.username,
    passwordEncrypted: row.password_encrypted,
    settings: fromJson<Record<string, unknown>>(row.settings) ?? {},
    prices: fromJson<Prices>(row.prices),
    managedBy: managedByFromDb(row.managed_by),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
