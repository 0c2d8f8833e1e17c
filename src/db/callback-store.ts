import type { Knex } from 'knex';
import { databaseTime } from './database';

/** A due callback claimed by one deliverer. */
export interface CallbackClaim {
  operationId: string;
  /** Deliveries of this operation tried before this one. */
  attempts: number;
}

/**
 * The delivery of finished operations to the platform's callback URL, kept in the operation's row
 * (`callback_state`: null when none is due, `pending`, `delivered`). A due callback is claimed before it is sent
 * (compare-and-set with a short lease on the database's clock), so two worker processes never deliver one callback
 * at the same time, and a crashed deliverer's claim simply expires.
 */
export interface CallbackStore {
  /**
   * Claims the most overdue callback that no live claim holds, for `leaseMs` on the database's clock; null when none
   * is due at `now`.
   */
  claimNextDue(owner: string, leaseMs: number, now: Date): Promise<CallbackClaim | null>;
  /**
   * Records how the claimed delivery went and releases the claim; `nextAt` is when to try again (null once
   * delivered). False, and nothing written, when the claim was lost (it expired and another deliverer took it).
   */
  recordDelivery(
    claim: CallbackClaim & { owner: string },
    delivered: boolean,
    nextAt: Date | null,
    now: Date,
  ): Promise<boolean>;
  /**
   * Forgets the delivery records (state, attempts) of callbacks delivered for operations that finished before
   * `finishedBefore`; at most `limit` at a time. Returns how many.
   */
  forgetDeliveredBefore(finishedBefore: Date, limit: number): Promise<number>;
}

const TABLE = 'operations';
/** Due callbacks looked at per claim: enough that a few deliverers racing for the same rows each find one. */
const CANDIDATES = 8;

export class KnexCallbackStore implements CallbackStore {
  constructor(private readonly db: Knex) {}

  async claimNextDue(owner: string, leaseMs: number, now: Date): Promise<CallbackClaim | null> {
    const candidates: Array<{ id: string; callback_attempts: number }> = await this.claimable(this.db(TABLE), now)
      .orderBy('callback_next_at')
      .limit(CANDIDATES)
      .select('id', 'callback_attempts');
    for (const candidate of candidates) {
      const changed = await this.claimable(this.db(TABLE).where({ id: candidate.id }), now).update({
        callback_claim_owner: owner,
        callback_claim_until: databaseTime(this.db, leaseMs),
      });
      if (changed === 1) return { operationId: candidate.id, attempts: Number(candidate.callback_attempts) };
    }
    return null;
  }

  async recordDelivery(
    claim: CallbackClaim & { owner: string },
    delivered: boolean,
    nextAt: Date | null,
    now: Date,
  ): Promise<boolean> {
    const changed = await this.db(TABLE)
      .where({ id: claim.operationId, callback_state: 'pending', callback_claim_owner: claim.owner })
      .where('callback_claim_until', '>', databaseTime(this.db))
      .update({
        callback_state: delivered ? 'delivered' : 'pending',
        callback_attempts: claim.attempts + 1,
        callback_next_at: nextAt?.toISOString() ?? null,
        callback_claim_owner: null,
        callback_claim_until: null,
        updated_at: now.toISOString(),
      });
    return changed === 1;
  }

  async forgetDeliveredBefore(finishedBefore: Date, limit: number): Promise<number> {
    const ids = this.db(TABLE)
      .where({ callback_state: 'delivered' })
      .where('finished_at', '<', finishedBefore.toISOString())
      .limit(limit)
      .select('id');
    return this.db(TABLE)
      .whereIn('id', ids)
      .update({ callback_state: null, callback_attempts: 0, callback_next_at: null });
  }

  /** Pending, due at `now`, and held by no live claim. */
  private claimable(query: Knex.QueryBuilder, now: Date): Knex.QueryBuilder {
    return query
      .where({ callback_state: 'pending' })
      .where('callback_next_at', '<=', now.toISOString())
      .where((q) => q.whereNull('callback_claim_until').orWhere('callback_claim_until', '<', databaseTime(this.db)));
  }
}
