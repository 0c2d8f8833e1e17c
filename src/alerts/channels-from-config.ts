import type { Config } from '../config/schema';
import { EmailChannel } from './email-channel';
import type { NotificationChannel } from './notification-channel';
import { WebhookChannel } from './webhook-channel';

/** The channels `alerts.*` configures: the webhook when `alerts.webhookUrl` is set, e-mail when `alerts.email` is. */
export function alertChannelsFromConfig(config: Pick<Config, 'alerts' | 'platform' | 'hooks'>): NotificationChannel[] {
  const { alerts } = config;
  const channels: NotificationChannel[] = [];
  if (alerts.webhookUrl)
    channels.push(
      new WebhookChannel({
        url: alerts.webhookUrl,
        secret: alerts.webhookSecret ?? config.platform.callbackSecret ?? config.hooks.secret,
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
