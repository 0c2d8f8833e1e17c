import type { Knex } from 'knex';
import { RotationRefusedError, SecretUnreadableError } from '../errors';
import type { SecretBox, SecretLocation } from '../security/secret-box';
import { activationKeyLocation } from './license-store';
import { passwordLocation } from './licensing-server-store';

/** One column that holds SecretBox envelopes, with the column naming its row and the location a row binds to. */
interface EncryptedColumn {
  table: string;
  idColumn: string;
  column: string;
  locate(rowId: string): SecretLocation;
}

/** Every encrypted column of the schema. A new one must be added here, or rotation would leave it behind. */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  { table: 'licensing_servers', idColumn: 'key', column: 'password_encrypted', locate: passwordLocation },
  { table: 'licenses', idColumn: 'id', column: 'activation_key_encrypted', locate: activationKeyLocation },
];

/** What a rotation did, per column (`<table>.<column>`) and in all. */
export interface RotationReport {
  /** The id of the key everything is now encrypted with. */
  keyId: string;
  reencrypted: number;
  alreadyCurrent: number;
  columns: Array<{ column: string; reencrypted: number; alreadyCurrent: number }>;
}

/**
 * Re-encrypts every stored secret under the box's current key, in one transaction: each value is decrypted (with
 * the current or the previous key, v1 or v2) and, unless it already is a v2 envelope of the current key, written
 * again. When any value decrypts with neither key the transaction is rolled back and {@link RotationRefusedError}
 * names every such row. Rows are locked as they are read (PostgreSQL; SQLite's write transaction holds the whole
 * database), so a key written meanwhile by the service is never overwritten with an older one.
 */
export async function reencryptSecrets(db: Knex, box: SecretBox): Promise<RotationReport> {
  return db.transaction(async (trx) => {
    const unreadable: SecretUnreadableError[] = [];
    const columns: RotationReport['columns'] = [];
    for (const spec of ENCRYPTED_COLUMNS) {
      const counts = { column: `${spec.table}.${spec.column}`, reencrypted: 0, alreadyCurrent: 0 };
      const rows: Array<{ id: string; value: string }> = await trx(spec.table)
        .whereNotNull(spec.column)
        .orderBy(spec.idColumn)
        .select({ id: spec.idColumn, value: spec.column })
        .forUpdate();
      for (const { id, value } of rows) {
        const location = spec.locate(id);
        let plaintext: string;
        try {
          plaintext = box.decrypt(value, location);
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          unreadable.push(error);
          continue;
        }
        if (box.isCurrent(value)) {
          counts.alreadyCurrent++;
          continue;
        }
        await trx(spec.table)
          .where(spec.idColumn, id)
          .update({ [spec.column]: box.encrypt(plaintext, location) });
        counts.reencrypted++;
      }
      columns.push(counts);
    }
    if (unreadable.length) throw new RotationRefusedError(unreadable);
    return {
      keyId: box.keyId,
      reencrypted: columns.reduce((sum, c) => sum + c.reencrypted, 0),
      alreadyCurrent: columns.reduce((sum, c) => sum + c.alreadyCurrent, 0),
      columns,
    };
  });
}
