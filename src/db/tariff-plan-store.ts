import type { Knex } from 'knex';
import { handOverToApi, managedByFromDb, type ManagedBy } from './catalog-provenance';

export interface TariffPlanRecord {
  key: string;
  name: string;
  productType: string;
  licensingServer: string;
  enumeration: string;
  defaultValue: string;
  managedBy: ManagedBy;
  createdAt: string;
  updatedAt: string;
}

export interface TariffPlanStore {
  upsert(record: Omit<TariffPlanRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<TariffPlanRecord>;
  get(key: string): Promise<TariffPlanRecord | null>;
  list(filter?: { licensingServer?: string; enumeration?: string }): Promise<TariffPlanRecord[]>;
  delete(key: string): Promise<boolean>;
  /** Plans managed by the file whose key is not in `keep` become `api`-managed; returns their keys. */
  handOverToApi(keep: readonly string[]): Promise<string[]>;
}

interface Row {
  key: string;
  name: string;
  product_type: string;
  licensing_server: string;
  enumeration: string;
  default_value: string;
  managed_by: string;
  created_at: string;
  updated_at: string;
}

const TABLE = 'tariff_plans';

export class KnexTariffPlanStore implements TariffPlanStore {
  constructor(private readonly db: Knex) {}

  async upsert(record: Omit<TariffPlanRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<TariffPlanRecord> {
    const at = now.toISOString();
    const row = {
      key: record.key,
      name: record.name,
      product_type: record.productType,
      licensing_server: record.licensingServer,
      enumeration: record.enumeration,
      default_value: record.defaultValue,
      managed_by: record.managedBy,
      updated_at: at,
    };
    await this.db(TABLE)
      .insert({ ...row, created_at: at })
      .onConflict('key')
      .merge(row);
    return (await this.get(record.key))!;
  }

  async get(key: string): Promise<TariffPlanRecord | null> {
    const row = await this.db<Row>(TABLE).where({ key }).first();
    return row ? toRecord(row) : null;
  }

  async list(filter: { licensingServer?: string; enumeration?: string } = {}): Promise<TariffPlanRecord[]> {
    const query = this.db<Row>(TABLE).orderBy('key');
    if (filter.licensingServer) query.where({ licensing_server: filter.licensingServer });
    if (filter.enumeration) query.where({ enumeration: filter.enumeration });
    return (await query).map(toRecord);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db(TABLE).where({ key }).delete()) > 0;
  }

  handOverToApi(keep: readonly string[]): Promise<string[]> {
    return handOverToApi(this.db, TABLE, 'key', keep);
  }
}

function toRecord(row: Row): TariffPlanRecord {
  return {
    key: row.key,
    name: row.name,
    productType: row.product_type,
    licensingServer: row.licensing_server,
    enumeration: row.enumeration,
    defaultValue: row.default_value,
    managedBy: managedByFromDb(row.managed_by),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
