import type { Knex } from 'knex';
import type { LicensePeriod } from '../domain/period';
import { handOverToApi, managedByFromDb, type ManagedBy } from './catalog-provenance';
import { fromJson, toJson } from './columns';
import { licensePeriodFromDb, licensePeriodToDb } from './license-rows';

export interface EnumerationValueRecord {
  key: string;
  name: string;
  /** A price-list id (digits) or `nopanel`. */
  internalName: string;
  /** Null when the value did not say: the default orderable periods apply. `["trial"]`: a trial value. */
  periods: LicensePeriod[] | null;
}

export interface EnumerationRecord {
  key: string;
  name: string;
  values: EnumerationValueRecord[];
  managedBy: ManagedBy;
  createdAt: string;
  updatedAt: string;
}

export interface EnumerationStore {
  /** Inserts or replaces the enumeration and all its values in one transaction. */
  upsert(record: Omit<EnumerationRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<EnumerationRecord>;
  get(key: string): Promise<EnumerationRecord | null>;
  list(): Promise<EnumerationRecord[]>;
  delete(key: string): Promise<boolean>;
  /** Enumerations managed by the file whose key is not in `keep` become `api`-managed; returns their keys. */
  handOverToApi(keep: readonly string[]): Promise<string[]>;
}

interface EnumerationRow {
  key: string;
  name: string;
  managed_by: string;
  created_at: string;
  updated_at: string;
}

interface ValueRow {
  enumeration_key: string;
  key: string;
  name: string;
  internal_name: string;
  periods: string | null;
  position: number;
}

export class KnexEnumerationStore implements EnumerationStore {
  constructor(private readonly db: Knex) {}

  async upsert(record: Omit<EnumerationRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<EnumerationRecord> {
    const at = now.toISOString();
    await this.db.transaction(async (trx) => {
      await trx('enumerations')
        .insert({ key: record.key, name: record.name, managed_by: record.managedBy, created_at: at, updated_at: at })
        .onConflict('key')
        .merge({ name: record.name, managed_by: record.managedBy, updated_at: at });
      await trx('enumeration_values').where({ enumeration_key: record.key }).delete();
      await trx('enumeration_values').insert(
        record.values.map((value, position) => ({
          enumeration_key: record.key,
          key: value.key,
          name: value.name,
          internal_name: value.internalName,
          periods: value.periods ? toJson(value.periods.map(licensePeriodToDb)) : null,
          position,
        })),
      );
    });
    return (await this.get(record.key))!;
  }

  async get(key: string): Promise<EnumerationRecord | null> {
    const row = await this.db<EnumerationRow>('enumerations').where({ key }).first();
    if (!row) return null;
    const values = await this.db<ValueRow>('enumeration_values').where({ enumeration_key: key }).orderBy('position');
    return toRecord(row, values);
  }

  async list(): Promise<EnumerationRecord[]> {
    const rows = await this.db<EnumerationRow>('enumerations').orderBy('key');
    const values = await this.db<ValueRow>('enumeration_values').orderBy(['enumeration_key', 'position']);
    return rows.map((row) =>
      toRecord(
        row,
        values.filter((v) => v.enumeration_key === row.key),
      ),
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db('enumerations').where({ key }).delete()) > 0;
  }

  handOverToApi(keep: readonly string[]): Promise<string[]> {
    return handOverToApi(this.db, 'enumerations', 'key', keep);
  }
}

function toRecord(row: EnumerationRow, values: ValueRow[]): EnumerationRecord {
  return {
    key: row.key,
    name: row.name,
    values: values.map((v) => ({
      key: v.key,
      name: v.name,
      internalName: v.internal_name,
      periods: fromJson<string[]>(v.periods)?.map((p) => licensePeriodFromDb(p)!) ?? null,
    })),
    managedBy: managedByFromDb(row.managed_by),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
