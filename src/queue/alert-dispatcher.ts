import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { NotificationChannel } from '../alerts/notification-channel';
import type { AlertNotificationClaim, AlertNotificationStore } from '../db/alert-notification-store';
import { retryDelayMs } from '../domain/lifecycle';

/** Deliveries per channel and pass; the next pass (or nudge) carries on. */
const BATCH = 50;
/** A claim outlives the delivery's deadline by this much, so only a crashed deliverer's claim ever expires. */
const CLAIM_MARGIN_MS = 5000;
/** Back-off of a failing notification: 5 s doubling (with jitter), at most 1 hour. */
export const ALERT_BACKOFF = { baseMs: 5000, maxMs: 3_600_000 };

export interface AlertDispatcherOptions {
  store: Pick<AlertNotificationStore, 'claimNextDue' | 'recordDelivered' | 'recordFailed'>;
  /** The configured channels; a notification of a channel not listed here waits. */
  channels: readonly NotificationChannel[];
  logger: Logger;
  /** Total deadline of one delivery (`alerts.deliveryTimeoutMs`); the claim lasts a little longer. */
  timeoutMs: number;
  /** The back-off after a failed delivery. Default {@link ALERT_BACKOFF}. */
  backoff?: { baseMs: number; maxMs: number };
  /** The clock that decides what is due and when to try again (the test moves it). */
  now?: () => Date;
}

/**
 * Delivers alert notifications (`alert_notifications`) through their channels until each is taken, retrying a
 * failed one with back-off. Each channel is worked through on its own, so a channel that is down (its deadline
 * spent on every attempt) holds up neither the other channel nor anything else: operations only write the rows.
 * Each delivery is claimed first (see `AlertNotificationStore`), so two worker processes never send one
 * notification at the same time; delivery stays at least once (a deliverer that crashes after sending sends again
 * once its claim expires), and receivers tell repeats apart by the notification id.
 */
export class AlertDispatcher {
  /** Names this dispatcher's claims. */
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomUUID()}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A nudge came during a pass: run one more, so a row written just after the pass's query is not left waiting. */
  private again = false;
  private stopped = false;

  constructor(private readonly options: AlertDispatcherOptions) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.nudge(), intervalMs);
    this.timer.unref();
  }

  /** Delivers what is due soon, without waiting: call it after an alert opened, escalated or resolved. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .then(() => undefined)
      .catch((err) =>
        this.options.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'alert delivery pass failed',
        ),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Stops the loop, waits for the pass in progress, and closes the channels. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await Promise.all(this.options.channels.map((channel) => channel.close()));
  }

  /** One pass: every channel at once, each delivering its due notifications one at a time. Returns how many went. */
  async deliverDue(): Promise<number> {
    const counts = await Promise.all(this.options.channels.map((channel) => this.deliverChannel(channel)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Claims and delivers due notifications of one channel until none is due, a batch is done, or one fails: after a
   * failure the channel is likely down, and the rest wait for the next pass rather than each spending the deadline.
   */
  private async deliverChannel(channel: NotificationChannel): Promise<number> {
    const { store, timeoutMs } = this.options;
    let delivered = 0;
    for (let tried = 0; tried < BATCH; tried++) {
      const claim = await store.claimNextDue(channel.name, this.owner, timeoutMs + CLAIM_MARGIN_MS, this.now());
      if (!claim) break;
      if (!(await this.deliver(channel, claim))) break;
      delivered++;
    }
    return delivered;
  }

  private async deliver(channel: NotificationChannel, claim: AlertNotificationClaim): Promise<boolean> {
    const { store, logger } = this.options;
    const log = logger.child({
      alertId: claim.alertId,
      notificationId: claim.id,
      channel: channel.name,
      event: claim.event,
      attempt: claim.attempts + 1,
    });
    const outcome = await channel.deliver(claim);
    if (outcome.delivered) {
      const recorded = await store.recordDelivered(claim, this.now());
      if (recorded) log.info('alert notification delivered');
      else log.warn('alert notification claim expired during delivery; another deliverer has it');
      return true;
    }
    const delayMs = retryDelayMs(claim.attempts + 1, this.options.backoff ?? ALERT_BACKOFF);
    const nextAt = new Date(this.now().getTime() + delayMs);
    const recorded = await store.recordFailed(claim, outcome.reason, nextAt);
    log.warn({ reason: outcome.reason, retryInMs: delayMs, recorded }, 'alert notification not delivered; will retry');
    return false;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
