import assert from 'node:assert/strict';
import { configSchema, type Config } from '../../src/config/schema';
import type { TestService } from './service';

/**
 * Alert configuration with both channels set, so every opening, escalation and resolution writes notification rows
 * (nothing listens at these addresses: the tests count rows, they do not need a delivery).
 */
export function alertsWithChannels(overrides: Partial<Config['alerts']> = {}): Config['alerts'] {
  return {
    ...configSchema.parse({}).alerts,
    webhookUrl: 'http://127.0.0.1:9/alerts',
    webhookSecret: 'test-alert-webhook-secret-0123',
    email: { url: 'smtp://127.0.0.1:9', from: 'alerts@example.net', to: ['ops@example.net'] },
    ...overrides,
  };
}

/** The channels `alertsWithChannels` configures: each alert event writes this many notification rows. */
export const CHANNELS = 2;

/** An alert as the route answers it (JSON). */
type AlertJson = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the route

/** Alerts as `GET /v1/admin/alerts` lists them (admin token), with an optional query. */
export async function listAlerts(service: TestService, query = ''): Promise<AlertJson[]> {
  const answer = await service.request('GET', `/v1/admin/alerts${query}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.items;
}

/** The one alert of `kind` in `state`; fails unless there is exactly one. */
export async function onlyAlert(service: TestService, kind: string, state: 'open' | 'resolved' = 'open') {
  const items = await listAlerts(service, `?kind=${kind}&state=${state}`);
  assert.equal(items.length, 1, `one ${state} ${kind} alert: ${JSON.stringify(items)}`);
  return items[0]!;
}

/** Polls until `kind` has an alert in `state` (the observer works in the background). */
export async function eventually(service: TestService, kind: string, state: 'open' | 'resolved', timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await listAlerts(service, `?kind=${kind}&state=${state}`);
    if (items.length > 0) return items[0]!;
    assert.ok(Date.now() < deadline, `no ${state} ${kind} alert: ${JSON.stringify(await listAlerts(service))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Notification rows of an alert, counted per event (`opened`, `escalated`, `resolved`). */
export async function notificationsOf(service: TestService, alertId: string): Promise<Record<string, number>> {
  const rows: Array<{ event: string }> = await service.database
    .db('alert_notifications')
    .where({ alert_id: alertId })
    .select('event');
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.event] = (counts[row.event] ?? 0) + 1;
  return counts;
}
