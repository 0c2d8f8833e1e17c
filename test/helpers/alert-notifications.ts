import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { AlertNotificationStore } from '../../src/db/alert-notification-store';
import { subjectKey, type AlertChannel, type AlertEvent, type AlertView } from '../../src/domain/alerts';

/**
 * The alert row and its notifications, in one transaction, as the alert book writes them (written here directly, so
 * that notification tests depend on no alert logic).
 */
export async function recordAlertWithNotifications(
  db: Knex,
  notifications: Pick<AlertNotificationStore, 'enqueue'>,
  { alert, event, channels, now }: { alert: AlertView; event: AlertEvent; channels: AlertChannel[]; now: Date },
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('alerts').insert({
      id: alert.id,
      kind: alert.kind,
      severity: alert.severity,
      subject: JSON.stringify(alert.subject),
      subject_key: subjectKey(alert.subject),
      message: alert.message,
      state: alert.resolvedAt ? 'resolved' : 'open',
      opened_at: alert.openedAt,
      escalations: alert.escalations,
      resolved_at: alert.resolvedAt,
      updated_at: now.toISOString(),
    });
    await notifications.enqueue(alert, event, channels, now, trx);
  });
}

/** A stand-in for the provider's alert receiver: records every POST, answers with the next status (200 after). */
export async function startWebhookReceiver() {
  const received: Array<{ rawBody: Buffer; signature: string | undefined; notificationId: string | undefined }> = [];
  const statuses: number[] = [];
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        rawBody: Buffer.concat(chunks),
        signature: req.headers['x-signature'] as string | undefined,
        notificationId: req.headers['x-alert-notification-id'] as string | undefined,
      });
      setTimeout(() => res.writeHead(statuses.shift() ?? 200, { 'content-type': 'text/plain' }).end('ok'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    statuses,
    setDelay: (ms: number) => (delayMs = ms),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
