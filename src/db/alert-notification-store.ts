import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AlertChannel, AlertEvent, AlertView } from '../domain/alerts';

/** What a notification carries: the event and the alert as it was then. */
export interface AlertNotificationPayload {
  event: AlertEvent;
  alert: AlertView;
}

/**
 * The notifications of alerts, one row per alert event and channel, kept until the channel has taken it
 * (`alert_notifications`). They are written in the transaction that opens, escalates or resolves the alert, so an
 * alert is never recorded without its notifications.
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
}

const TABLE = 'alert_notifications';

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
}
