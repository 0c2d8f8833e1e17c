import type { Knex } from 'knex';

/**
 * Who manages a catalog entry: `config` (declared in the configuration file; only the file changes it, the admin API
 * answers 409 `managed_by_config`) or `api` (made through the admin API; a start never touches it).
 */
export type ManagedBy = 'config' | 'api';

export function managedByFromDb(value: string | null | undefined): ManagedBy {
  return value === 'config' ? 'config' : 'api';
}

/**
 * Hands every `config` row of `table` whose `idColumn` is not in `keep` over to the API (the file no longer declares
 * it); returns their ids.
 */
export async function handOverToApi(
  db: Knex,
  table: string,
  idColumn: string,
  keep: readonly string[],
): Promise<string[]> {
  return db.transaction(async (trx) => {
    const rows: Array<Record<string, string>> = await trx(table)
      .where({ managed_by: 'config' })
      .whereNotIn(idColumn, [...keep])
      .select(idColumn);
    const ids = rows.map((row) => row[idColumn]!);
    if (ids.length) await trx(table).whereIn(idColumn, ids).update({ managed_by: 'api' });
    return ids;
  });
}
