import type { Knex } from 'knex';

/** The paid calls (orders and renewals) of each licensing server per UTC day, against the daily cap. */
export interface SpendCounterStore {
  /**
   * Counts one paid call of `licensingServer` on the UTC day of `now`, unless that day's count has reached `cap`:
   * true when counted. Call it in the transaction that commits the call's `intended` checkpoint, so that the count
   * and the checkpoint commit or roll back together. Race-free across processes: the count is raised by one
   * conditional UPDATE (`… WHERE paid_calls < cap`), which PostgreSQL re-checks after a concurrent writer commits
   * and SQLite runs under its single write lock.
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
    const key = { licensing_server: licensingServer, day: utcDay(now) };
    const at = now.toISOString();
    await trx(TABLE)
      .insert({ ...key, paid_calls: 0, updated_at: at })
      .onConflict(['licensing_server', 'day'])
      .ignore();
    const changed = await trx(TABLE)
      .where(key)
      .where('paid_calls', '<', cap)
      .update({ paid_calls: trx.raw('paid_calls + 1'), updated_at: at });
    return changed === 1;
  }

  async paidCalls(licensingServer: string, day: Date): Promise<number> {
    const row: { paid_calls: number } | undefined = await this.db(TABLE)
      .where({ licensing_server: licensingServer, day: utcDay(day) })
      .first('paid_calls');
    return Number(row?.paid_calls ?? 0);
  }
}
