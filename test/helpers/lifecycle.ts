import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { CatalogConfig } from '../../src/catalog/schemas';
import { configSchema, type Config } from '../../src/config/schema';
import { signPayload } from '../../src/platform/signature';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/server';
import type { Role } from '../../src/service';
import { deleteRedisKeysWithPrefix, uniqueRedisName } from './redis';
import { startTestService, TEST_HOOK_SECRET, type TestService } from './service';

export const SANDBOX_USER = 'reseller';
export const SANDBOX_PASSWORD = 'Sandb0x-pa55word!';
export const DAY_MS = 86_400_000;

/** The test catalog: one licensing server (the sandbox), four panel values, two plans, the seed's rule 1 → 12. */
export function testCatalog(sandbox: Pick<SandboxHandle, 'apiUrl'>): CatalogConfig {
  return {
    licensingServers: [
      {
        key: 'isp',
        module: 'billmanager',
        url: sandbox.apiUrl,
        username: SANDBOX_USER,
        password: SANDBOX_PASSWORD,
        settings: { timeoutMs: 3000, periodCodes: { lifetime: -100, trial: -50 } },
      },
    ],
    enumerations: [
      {
        key: 'panels',
        name: 'Server control panel',
        values: [
          { key: 'nopanel', name: 'Without control panel', internalName: 'nopanel' },
          { key: 'isp-lite', name: 'ISPmanager Lite', internalName: '3541' },
          { key: 'isp-business', name: 'ISPmanager Business', internalName: '4601' },
          { key: 'bill-startup', name: 'BILLmanager 6 Startup', internalName: '55331' },
        ],
      },
    ],
    tariffPlans: [
      {
        key: 'vps-monthly',
        name: 'VPS monthly',
        productType: 'vds',
        licensingServer: 'isp',
        enumeration: 'panels',
        defaultValue: 'nopanel',
      },
      {
        key: 'vps-yearly',
        name: 'VPS yearly',
        productType: 'vds',
        licensingServer: 'isp',
        enumeration: 'panels',
        defaultValue: 'isp-lite',
      },
    ],
    periodComparisons: [{ licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 }],
  };
}

/** Settings that make tests quick: short leases and delays, a private queue. */
export function fastWorkerSettings(queueName: string): Pick<Config, 'worker' | 'lifecycle'> {
  const defaults = configSchema.parse({});
  return {
    worker: {
      ...defaults.worker,
      queueName,
      leaseMs: 3000,
      relayIntervalMs: 200,
      reconcileDelayMs: 300,
      shutdownGraceMs: 5000,
      concurrency: 8,
    },
    lifecycle: { ...defaults.lifecycle, retryBaseMs: 100, retryMaxMs: 1000, maxAttempts: 6 },
  };
}

export interface Harness {
  service: TestService;
  sandbox: SandboxHandle;
  queueName: string;
  hook(
    event: string,
    service: Record<string, unknown>,
    options?: { eventId?: string },
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
  /** Waits until the operation leaves queued/running (or reaches one of `statuses`). */
  settled(operationId: string, statuses?: string[], timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
  /** Sends a hook and waits for its operation to settle. */
  run(event: string, service: Record<string, unknown>, statuses?: string[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
  /** Orders the sandbox performed, per operation (from the `remoteid` each order carried). */
  ordersByOperation(): Map<string, number>;
  assertInvariants(): Promise<void>;
  close(): Promise<void>;
}

export function paidUntilIn(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString();
}

export async function startHarness(
  /** `role: 'api'` runs no workers in the test process: operations then wait for a worker process. */
  options: { sandbox?: SandboxOptions; config?: Partial<Config>; role?: Role } = {},
): Promise<Harness> {
  const sandbox = await startSandbox({
    accounts: [{ username: SANDBOX_USER, password: SANDBOX_PASSWORD, balance: 100_000 }],
    ...options.sandbox,
  });
  const queueName = uniqueRedisName('ops');
  const service = await startTestService(
    {
      catalog: testCatalog(sandbox),
      ...fastWorkerSettings(queueName),
      ...options.config,
    },
    options.role,
  );
  const harness: Harness = {
    service,
    sandbox,
    queueName,
    async hook(event, serviceFacts, hookOptions = {}) {
      const body = JSON.stringify({ eventId: hookOptions.eventId ?? crypto.randomUUID(), service: serviceFacts });
      return service.request('POST', `/v1/hooks/${event}`, {
        rawBody: body,
        token: null,
        headers: { 'content-type': 'application/json', 'x-signature': signPayload(TEST_HOOK_SECRET, body) },
      });
    },
    async settled(operationId, statuses = ['succeeded', 'failed', 'waiting'], timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await service.request('GET', `/v1/operations/${operationId}`);
        if (statuses.includes(body.status)) return body;
        if (Date.now() > deadline)
          throw new Error(`operation ${operationId} still ${body.status}: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async run(event, serviceFacts, statuses) {
      const answer = await harness.hook(event, serviceFacts);
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      return harness.settled(answer.body.operationId, statuses);
    },
    ordersByOperation() {
      const orders = new Map<string, number>();
      for (const call of sandbox.calls()) {
        // Performed and not refused: the order took place (a dropped reply still counts).
        if (call.func !== 'soft.order.param' || !call.performed || call.outcome === 'error') continue;
        const operationId = (call.params.remoteid ?? '').split('.order.')[0]!;
        orders.set(operationId, (orders.get(operationId) ?? 0) + 1);
      }
      return orders;
    },
    async assertInvariants() {
      // I1: at most one upstream order per need (per operation).
      for (const [operationId, count] of harness.ordersByOperation())
        assert.equal(count, 1, `operation ${operationId} ordered ${count} times`);
      // I2: no license bound to (or reserved by) two services, no service with two licenses.
      const rows: Array<{ upstream_id: string; service_id: string | null; state: string }> = await service.database
        .db('licenses')
        .select('upstream_id', 'service_id', 'state');
      const held = rows.filter((r) => r.state === 'bound' || r.state === 'reserved');
      assert.equal(new Set(held.map((r) => r.upstream_id)).size, held.length, 'a license is held twice');
      assert.equal(new Set(held.map((r) => r.service_id)).size, held.length, 'a service holds two licenses');
      // I3: every license the account pays for is, locally, bound, reserved or pooled.
      const known = new Map(rows.map((r) => [r.upstream_id, r.state]));
      const now = Date.now();
      for (const license of sandbox.licenses()) {
        const paid = !license.deleted && new Date(`${license.expiredate}T23:59:59.999Z`).getTime() > now;
        if (!paid) continue;
        assert.ok(
          ['bound', 'reserved', 'pooled'].includes(known.get(license.id) ?? 'unknown'),
          `paid license ${license.id} is ${known.get(license.id) ?? 'unknown locally'}`,
        );
      }
    },
    async close() {
      await service.close();
      await sandbox.close();
      await deleteRedisKeysWithPrefix(`bull:${queueName}`);
    },
  };
  return harness;
}

export function openFacts(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = Number.parseInt(crypto.createHash('sha256').update(id).digest('hex').slice(0, 4), 16);
  return {
    id,
    name: `${id}.example.net`,
    ip: `203.0.113.${1 + (n % 254)}`,
    tariffPlan: 'vps-monthly',
    period: 1,
    paidUntil: paidUntilIn(30),
    controlPanel: 'isp-lite',
    ...overrides,
  };
}
