import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AlertChannel, AlertEvent, AlertView } from '../domain/alerts';
import { databaseTime } from './database';

/** What a notification carries: the event and the alert as it was then. */
export interface AlertNotificationPayload {
  event: AlertEvent;
  alert: AlertView;
}

/** One notification of one alert event through one channel. */
export interface AlertNotification {
  id: string;
  alertId: string;
  channel: AlertChannel;
  event: AlertEvent;
  payload: AlertNotificationPayload;
  state: 'pending' | 'delivered';
  /** Deliveries tried so far. */
  attempts: number;
  /** When the next delivery is due (ignored once delivered). */
  nextAt: string;
  /** Why the last delivery failed: a short message without secrets. */
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** A due notification claimed by one deliverer. */
export type AlertNotificationClaim = Pick<
  AlertNotification,
  'id' | 'alertId' | 'channel' | 'event' | 'payload' | 'attempts'
> & {
  /** The deliverer holding the claim. */
  owner: string;
};

/**
 * The notifications of alerts, one row per alert event and channel, kept until the channel has taken it
 * (`alert_notifications`). They are written in the transaction that opens, escalates or resolves the alert, so an
 * alert is never recorded without its notifications. A due notification is claimed before it is sent
 * (compare-and-set with a lease on the database's clock, like callbacks), so two worker processes never send one
 * notification at the same time, and a crashed deliverer's claim simply expires.
 */
export interface AlertNotificationStore {
  /** One pending notification per channel, due at once. */
  enqueue(
    alert: AlertView,
    event: AlertEvent,
    channels: readonly AlertChannel[],
    now: Date,
    trx: Knex.Transaction,
  ): Promise<void>;
  /**
   * Claims the most overdue pending notification of `channel` that no live claim holds and no older pending
   * notification of its alert and channel precedes (the notices of one alert go out in order), for `leaseMs` on the
   * database's clock; null when none is due at `now`.
   */
  claimNextDue(
    channel: AlertChannel,
    owner: string,
    leaseMs: number,
    now: Date,
  ): Promise<AlertNotificationClaim | null>;
  /**
   * Marks the claimed notification delivered and sets its alert's `notified_at`, in one transaction. False, and
   * nothing written, when the claim was lost (it expired and another deliverer took it).
   */
  recordDelivered(claim: AlertNotificationClaim, now: Date): Promise<boolean>;
  /** Counts a failed delivery, keeps why, and releases the claim until `nextAt`. False when the claim was lost. */
  recordFailed(claim: AlertNotificationClaim, reason: string, nextAt: Date): Promise<boolean>;
  /** Every notification of an alert, oldest first. */
  listForAlert(alertId: string): Promise<AlertNotification[]>;
  /** Deletes notifications delivered before `deliveredBefore`, at most `limit` at a time; returns how many. */
  pruneDeliveredBefore(deliveredBefore: Date, limit: number): Promise<number>;
}

const TABLE = 'alert_notifications';
/** Due notifications looked at per claim: enough that a few deliverers racing for the same rows each find one. */
const CANDIDATES = 8;
/** `last_error` is a hint for a person, not a log: long replies are cut. */
const MAX_ERROR_LENGTH = 300;

interface NotificationRow {
  id: string;
  alert_id: string;
  channel: AlertChannel;
  event: AlertEvent;
  payload: string;
  state: 'pending' | 'delivered';
  attempts: number | string;
  next_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export class KnexAlertNotificationStore implements AlertNotificationStore {
  constructor(protected readonly db: Knex) {}

  async enqueue(
    alert: AlertView,
    event: AlertEvent,
    channels: readonly AlertChannel[],
    now: Date,
    trx: Knex.Transaction,
  ): Promise<void> {
    if (channels.length === 0) return;
    const at = now.toISOString();
    const payload: AlertNotificationPayload = { event, alert };
    await trx(TABLE).insert(
      channels.map((channel) => ({
        id: crypto.randomUUID(),
        alert_id: alert.id,
        channel,
        event,
        payload: JSON.stringify(payload),
        state: 'pending',
        attempts: 0,
        next_at: at,
        created_at: at,
      })),
    );
  }

  async claimNextDue(
    channel: AlertChannel,
    owner: string,
    leaseMs: number,
    now: Date,
  ): Promise<AlertNotificationClaim | null> {
    const candidates: NotificationRow[] = await this.claimable(this.db(`${TABLE} as n`).where({ channel }), now)
      .whereNotExists((older) => this.olderPending(older))
      .orderBy('next_at')
      .limit(CANDIDATES)
      .select('*');
    for (const candidate of candidates) {
      const changed = await this.claimable(this.db(TABLE).where({ id: candidate.id }), now).update({
        claim_owner: owner,
        claim_until: databaseTime(this.db, leaseMs),
      });
      if (changed !== 1) continue;
      const { id, alertId, event, payload, attempts } = toNotification(candidate);
      return { id, alertId, channel, event, payload, attempts, owner };
    }
    return null;
  }

  async recordDelivered(claim: AlertNotificationClaim, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return this.db.transaction(async (trx) => {
      const changed = await this.heldBy(trx(TABLE), claim).update({
        state: 'delivered',
        attempts: claim.attempts + 1,
        delivered_at: at,
        claim_owner: null,
        claim_until: null,
      });
      if (changed !== 1) return false;
      await trx('alerts').where({ id: claim.alertId }).update({ notified_at: at });
      return true;
    });
  }

  async recordFailed(claim: AlertNotificationClaim, reason: string, nextAt: Date): Promise<boolean> {
    const changed = await this.heldBy(this.db(TABLE), claim).update({
      attempts: claim.attempts + 1,
      last_error: reason.slice(0, MAX_ERROR_LENGTH),
      next_at: nextAt.toISOString(),
      claim_owner: null,
      claim_until: null,
    });
    return changed === 1;
  }

  async listForAlert(alertId: string): Promise<AlertNotification[]> {
    const rows: NotificationRow[] = await this.db(TABLE)
      .where({ alert_id: alertId })
      .orderBy([{ column: 'created_at' }, { column: 'channel' }]);
    return rows.map(toNotification);
  }

  async pruneDeliveredBefore(deliveredBefore: Date, limit: number): Promise<number> {
    const ids = this.db(TABLE)
      .where({ state: 'delivered' })
      .where('delivered_at', '<', deliveredBefore.toISOString())
      .limit(limit)
      .select('id');
    return this.db(TABLE).whereIn('id', ids).delete();
  }

  /** Pending, due at `now`, and held by no live claim. */
  private claimable(query: Knex.QueryBuilder, now: Date): Knex.QueryBuilder {
    return query
      .where({ state: 'pending' })
      .where('next_at', '<=', now.toISOString())
      .where((q) => q.whereNull('claim_until').orWhere('claim_until', '<', databaseTime(this.db)));
  }

  /**
   * A pending notification of the same alert and channel written before candidate `n` (ids break a tie of times):
   * while one exists, `n` waits, so a backed-off `opened` is never delivered after the `resolved` that followed it.
   */
  private olderPending(query: Knex.QueryBuilder): Knex.QueryBuilder {
    return query
      .select(this.db.raw('1'))
      .from(`${TABLE} as older`)
      .where('older.state', 'pending')
      .whereRaw('older.alert_id = n.alert_id')
      .whereRaw('older.channel = n.channel')
      .where((earlier) =>
        earlier
          .whereRaw('older.created_at < n.created_at')
          .orWhere((tie) => tie.whereRaw('older.created_at = n.created_at').whereRaw('older.id < n.id')),
      );
  }

  /** The claimed row, while the claim is still this deliverer's and alive. */
  private heldBy(query: Knex.QueryBuilder, claim: AlertNotificationClaim): Knex.QueryBuilder {
    return query
      .where({ id: claim.id, state: 'pending', claim_owner: claim.owner })
      .where('claim_until', '>', databaseTime(this.db));
  }
}

function toNotification(row: NotificationRow): AlertNotification {
  return {
    id: row.id,
    alertId: row.alert_id,
    channel: row.channel,
    event: row.event,
    payload: JSON.parse(row.payload) as AlertNotificationPayload,
    state: row.state,
    attempts: Number(row.attempts),
    nextAt: row.next_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
