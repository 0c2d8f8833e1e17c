import nodemailer, { type Transporter } from 'nodemailer';
import { renderAlertMail } from './alert-message';
import { safeReason, type DeliveryOutcome, type NotificationChannel } from './notification-channel';
import type { AlertNotificationPayload } from '../db/alert-notification-store';

export interface EmailChannelOptions {
  /** `alerts.email.url`: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…` (TLS from the start). */
  url: string;
  from: string;
  to: string[];
  /** Bounds connecting, the greeting, each socket wait, and the whole delivery (`alerts.deliveryTimeoutMs`). */
  timeoutMs: number;
}

/**
 * Sends each notification as a plain-text e-mail (see `renderAlertMail`) through the SMTP server of
 * `alerts.email.url`, one connection per mail. The URL carries the SMTP password: it stays inside the transport,
 * and is scrubbed from every failure reason.
 */
export class EmailChannel implements NotificationChannel {
  readonly name = 'email' as const;
  private readonly transport: Transporter;
  private readonly secrets: string[];

  constructor(private readonly options: EmailChannelOptions) {
    const { timeoutMs } = options;
    this.transport = nodemailer.createTransport({
      url: options.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      dnsTimeout: timeoutMs,
      logger: false,
      debug: false,
    });
    this.secrets = credentialsOf(options.url);
  }

  async deliver(notification: { id: string; payload: AlertNotificationPayload }): Promise<DeliveryOutcome> {
    const { from, to, timeoutMs } = this.options;
    const { subject, text } = renderAlertMail(notification.payload);
    try {
      await this.transport.sendMail({
        from,
        to,
        subject,
        text,
        headers: { 'X-Alert-Notification-Id': notification.id },
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { delivered: true };
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return { delivered: false, reason: `not sent within ${timeoutMs} ms` };
      return { delivered: false, reason: safeReason(err, this.secrets) };
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** The URL itself, and its user and password as written and decoded: none may appear in a reason. */
function credentialsOf(smtpUrl: string): string[] {
  const url = new URL(smtpUrl);
  const parts = [smtpUrl, url.username, url.password];
  for (const part of [url.username, url.password]) {
    try {
      parts.push(decodeURIComponent(part));
    } catch {
      // A malformed escape stays as written, which is already in the list.
    }
  }
  return parts.filter((part) => part.length > 0);
}
