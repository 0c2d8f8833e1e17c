import type { Config } from '../config/schema';
import { alertWebhookSecret } from '../config/startup-checks';
import { EmailChannel } from './email-channel';
import type { NotificationChannel } from './notification-channel';
import { WebhookChannel } from './webhook-channel';

/** The channels `alerts.*` configures: the webhook when `alerts.webhookUrl` is set, e-mail when `alerts.email` is. */
export function alertChannelsFromConfig(config: Pick<Config, 'alerts' | 'platform'>): NotificationChannel[] {
  const { alerts } = config;
  const channels: NotificationChannel[] = [];
  const webhookSecret = alertWebhookSecret(config);
  if (alerts.webhookUrl && webhookSecret)
    channels.push(
      new WebhookChannel({
        url: alerts.webhookUrl,
        secret: webhookSecret,
        timeoutMs: alerts.deliveryTimeoutMs,
      }),
    );
  if (alerts.email)
    channels.push(
      new EmailChannel({
        url: alerts.email.url,
        from: alerts.email.from,
        to: alerts.email.to,
        timeoutMs: alerts.deliveryTimeoutMs,
      }),
    );
  return channels;
}
