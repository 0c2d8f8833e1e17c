import type { Knex } from 'knex';

/** The paid calls (orders and renewals) of each licensing server per UTC day, against the daily cap. */
export interface SpendCounterStore {
  /**
   * Counts one paid call of `licensingServer` on the UTC day of `now`, unless that day's count has reached `cap`:
   * true when counted. Call it in the transaction that commits the call's `intended` checkpoint, so that the count
   * and the checkpoint commit or roll back together. Race-free across processes: the count is raised by one
   * conditional upsert (`… ON CONFLICT DO UPDATE … WHERE paid_calls < cap`), which PostgreSQL re-checks on the row it
   * locks after a concurrent writer commits, and SQLite runs under its single write lock.
   */
  countPaidCall(licensingServer: string, now: Date, cap: number, trx: Knex): Promise<boolean>;
  /** The paid calls counted for `licensingServer` on the UTC day of `day`. */
  paidCalls(licensingServer: string, day: Date): Promise<number>;
}

const TABLE = 'spend_counters';

/** `YYYY-MM-DD` of the UTC day. */
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

export class KnexSpendCounterStore implements SpendCounterStore {
  constructor(private readonly db: Knex) {}

  async countPaidCall(licensingServer: string, now: Date, cap: number, trx: Knex): Promise<boolean> {
    if (cap <= 0) return false;
    const at = now.toISOString();
    // One statement: the day's first paid call inserts the row with 1; later ones raise it only while under the cap.
    // An upsert whose `WHERE` fails changes and returns no row: not counted.
    const counted: Array<{ paid_calls: number }> = await trx(TABLE)
      .insert({ licensing_server: licensingServer, day: utcDay(now), paid_calls: 1, updated_at: at })
      .onConflict(['licensing_server', 'day'])
      .merge({ paid_calls: trx.raw('?? + 1', [`${TABLE}.paid_calls`]), updated_at: at })
      .where(`${TABLE}.paid_calls`, '<', cap)
      .returning('paid_calls');
    return counted.length === 1;
  }

  async paidCalls(licensingServer: string, day: Date): Promise<number> {
    const row: { paid_calls: number } | undefined = await this.db(TABLE)
      .where({ licensing_server: licensingServer, day: utcDay(day) })
      .first('paid_calls');
    return Number(row?.paid_calls ?? 0);
  }
}
