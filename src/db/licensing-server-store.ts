import type { Knex } from 'knex';
import { fromJson, toJson } from './columns';

export interface LicensingServerRecord {
  key: string;
  module: string;
  url: string;
  username: string;
  /** The SecretBox envelope of the password. */
  passwordEncrypted: string;
  settings: Record<string, unknown>;
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
}

interface Row {
  key: string;
  module: string;
  url: string;
  username: string;
  password_encrypted: string;
  settings: string;
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
}

function toRecord(row: Row): LicensingServerRecord {
  return {
    key: row.key,
    module: row.module,
    url: row.url,
    username: row.username,
    passwordEncrypted: row.password_encrypted,
    settings: fromJson<Record<string, unknown>>(row.settings) ?? {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
