import type { AlertChannel } from '../domain/alerts';
import type { AlertNotificationPayload } from '../db/alert-notification-store';

/** How one delivery went; `reason` is short and safe to store and log (no secret, no URL path). */
export type DeliveryOutcome = { delivered: true } | { delivered: false; reason: string };

/** A way alerts reach a person: the signed webhook or e-mail. */
export interface NotificationChannel {
  readonly name: AlertChannel;
  /** Sends one notification under one total deadline. Never throws: a failure is an outcome. */
  deliver(notification: { id: string; payload: AlertNotificationPayload }): Promise<DeliveryOutcome>;
  /** Releases what the channel holds (connections). */
  close(): Promise<void>;
}

/** The longest failure reason kept: a hint for a person, not a transcript. */
const MAX_REASON_LENGTH = 200;

/**
 * A failure's reason fit to store and log: the error's code and message (and its cause's, as `fetch` nests them),
 * every one of `secrets` replaced, cut short.
 */
export function safeReason(err: unknown, secrets: readonly string[]): string {
  const describe = (e: unknown): string => {
    if (!(e instanceof Error)) return String(e);
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  };
  const cause = err instanceof Error && err.cause !== undefined ? ` (${describe(err.cause)})` : '';
  let reason = describe(err) + cause;
  for (const secret of secrets) if (secret.length >= 3) reason = reason.split(secret).join('[redacted]');
  return reason.replace(/\s+/g, ' ').trim().slice(0, MAX_REASON_LENGTH);
}
