import { signPayload } from '../platform/signature';
import { safeReason, type DeliveryOutcome, type NotificationChannel } from './notification-channel';
import type { AlertNotificationPayload } from '../db/alert-notification-store';

export interface WebhookChannelOptions {
  /** `alerts.webhookUrl`. */
  url: string;
  /** `alerts.webhookSecret`, else `platform.callbackSecret`; never `hooks.secret` (see `alertWebhookSecret`). */
  secret: string;
  /** Total deadline of one delivery, connect to the reply's headers (`alerts.deliveryTimeoutMs`). */
  timeoutMs: number;
}

/**
 * POSTs `{event, alert}` as JSON to `alerts.webhookUrl`, signed exactly like callbacks (`X-Signature: t=…,v1=…`,
 * HMAC-SHA256 of `<t>.<body>`), with the notification's id in `X-Alert-Notification-Id` so that the receiver can
 * tell a repeat (delivery is at least once). Any 2xx is delivered; the reply's body is not read.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook' as const;
  /** The URL's path and query may be a credential (chat webhooks are): never in a stored reason. */
  private readonly secrets: string[];

  constructor(private readonly options: WebhookChannelOptions) {
    const url = new URL(options.url);
    this.secrets = [options.url, url.pathname + url.search, options.secret].filter((s) => s.length > 1);
  }

  async deliver(notification: { id: string; payload: AlertNotificationPayload }): Promise<DeliveryOutcome> {
    const { url, secret, timeoutMs } = this.options;
    const body = JSON.stringify(notification.payload);
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-signature': signPayload(secret, body),
          'x-alert-notification-id': notification.id,
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300)
        return { delivered: false, reason: `answered ${response.status}` };
      return { delivered: true };
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return { delivered: false, reason: `no reply within ${timeoutMs} ms` };
      return { delivered: false, reason: safeReason(err, this.secrets) };
    }
  }

  async close(): Promise<void> {}
}
