import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema';
import { findFreePort } from '../../src/infra/redis-runtime';
import type { SandboxHandle } from '../../src/sandbox/server';
import { fastWorkerSettings, startHarness, testCatalog, type Harness } from '../helpers/lifecycle';
import { deleteRedisKeysWithPrefix, uniqueRedisName } from '../helpers/redis';
import {
  assertExactlyOneEffectEach,
  assertMoneyRules,
  note,
  sendOpen,
  sleep,
  type SentHook,
} from './support/exactly-once';
import { TcpProxy, type ProxyMode } from './support/tcp-proxy';

/** The module's deadline for one call to the licensing server (connect to last byte). */
const UPSTREAM_TIMEOUT_MS = 500;
/** An unknown outcome is looked up no sooner than this after the call began: well past the time-out and latency. */
const RECONCILE_DELAY_MS = 3_000;
/** How long each fault lasts while opens are sent and retried. */
const FAULT_MS = 2_500;
const OPENS = 5;

/**
 * The network between the workers and the licensing server misbehaves: a TCP proxy (licensing server URL → proxy →
 * sandbox) adds latency, black-holes calls, or resets connections mid-request and mid-response. Opens are sent
 * during the fault, then the fault is cleared: every one succeeds with exactly one order, and the money rules hold.
 */
describe('faults: the network to the licensing server', function () {
  this.timeout(120_000);
  let proxy: TcpProxy;
  let h: Harness;
  let queueName: string;

  beforeEach(async () => {
    const sandboxPort = await findFreePort();
    proxy = await TcpProxy.start({ port: sandboxPort });
    queueName = uniqueRedisName('ops');
    const catalog = testCatalog({ apiUrl: proxy.url('/billmgr') } as SandboxHandle);
    catalog.licensingServers[0]!.settings = {
      ...catalog.licensingServers[0]!.settings,
      timeoutMs: UPSTREAM_TIMEOUT_MS,
    };
    const fast = fastWorkerSettings(queueName);
    const defaults = configSchema.parse({});
    assert.ok(RECONCILE_DELAY_MS > UPSTREAM_TIMEOUT_MS, 'reconcile only after a call has surely timed out');
    h = await startHarness({
      sandbox: { port: sandboxPort },
      config: {
        catalog,
        worker: { ...fast.worker, reconcileDelayMs: RECONCILE_DELAY_MS },
        lifecycle: { ...defaults.lifecycle, retryBaseMs: 100, retryMaxMs: 500, maxAttempts: 1_000 },
      },
    });
  });

  afterEach(async () => {
    await proxy.close();
    await h.close();
    await deleteRedisKeysWithPrefix(`bull:${queueName}`);
  });

  function performedOrders(): number {
    return h.sandbox.calls().filter((c) => c.func === 'soft.order.param' && c.performed).length;
  }

  async function runFault(
    mode: ProxyMode,
    prefix: string,
  ): Promise<{ sent: SentHook[]; performedDuringFault: number; succeededDuringFault: number }> {
    // One open before the fault: the module is logged in (session auth), so calls during the fault are real orders.
    const warm = await sendOpen(h, `${prefix}-warm`);
    assert.equal(warm.status, 202, JSON.stringify(warm));
    await assertExactlyOneEffectEach(h, [warm], 30_000);
    const ordersBefore = performedOrders();
    proxy.setMode(mode);
    const sent: SentHook[] = [];
    for (let i = 0; i < OPENS; i++) sent.push(await sendOpen(h, `${prefix}-${i}`));
    assert.deepEqual(
      sent.map((s) => s.status),
      Array(OPENS).fill(202),
      'hooks do not depend on the licensing server',
    );
    await sleep(FAULT_MS);
    const performedDuringFault = performedOrders() - ordersBefore;
    const succeededDuringFault = Number(
      (
        await h.service.database
          .db('operations')
          .where({ status: 'succeeded' })
          .whereIn(
            'id',
            sent.map((s) => s.operationId!),
          )
          .count<Array<{ n: number | string }>>({ n: '*' })
      )[0]!.n,
    );
    proxy.setMode({ kind: 'pass' });
    const clearedAt = Date.now();
    await assertExactlyOneEffectEach(h, [warm, ...sent], 60_000);
    note(
      `${mode.kind}: ${JSON.stringify(proxy.stats)}; orders performed during the fault ${performedDuringFault}; ` +
        `all settled ${Date.now() - clearedAt} ms after it cleared`,
    );
    await assertMoneyRules(h);
    assert.equal(performedOrders(), OPENS + 1, 'one order upstream per open, nothing more');
    return { sent, performedDuringFault, succeededDuringFault };
  }

  it(`latency below the time-out: slow calls, all succeed, one order each`, async () => {
    const outcome = await runFault({ kind: 'latency', ms: 150 }, 'slow');
    assert.ok(proxy.stats.delayed > 0, 'calls were delayed');
    assert.equal(outcome.performedDuringFault, OPENS, 'slow but working: all ordered during the fault');
  });

  it(`latency beyond the time-out (${UPSTREAM_TIMEOUT_MS} ms): calls time out but reach the upstream later; looked up, not repeated`, async () => {
    const outcome = await runFault({ kind: 'latency', ms: 1_200 }, 'late');
    assert.ok(proxy.stats.delayed > 0, 'calls were delayed');
    assert.equal(outcome.succeededDuringFault, 0, 'no answer arrived in time while the fault lasted');
    assert.ok(outcome.performedDuringFault > 0, 'orders reached the upstream after the module had given up on them');
  });

  it('black hole: nothing answers, the module times out, nothing reaches the upstream; all succeed once cleared', async () => {
    const outcome = await runFault({ kind: 'blackhole' }, 'hole');
    assert.ok(proxy.stats.swallowed > 0, 'calls were swallowed');
    assert.equal(outcome.performedDuringFault, 0, 'nothing reached the upstream');
    assert.equal(outcome.succeededDuringFault, 0, 'nothing succeeded during the fault');
  });

  it('connections reset at connect: all succeed once cleared', async () => {
    const outcome = await runFault({ kind: 'reset-on-connect' }, 'refused');
    assert.ok(proxy.stats.resets > 0, 'connections were reset');
    assert.equal(outcome.performedDuringFault, 0, 'nothing reached the upstream');
  });

  it('connections reset mid-request (the upstream never gets a whole call): all succeed once cleared', async () => {
    const outcome = await runFault({ kind: 'reset-mid-request' }, 'cut-request');
    assert.ok(proxy.stats.resets > 0, 'connections were reset');
    assert.equal(outcome.performedDuringFault, 0, 'no whole call reached the upstream');
  });

  it('connections reset mid-response (the upstream performed the call, the answer is lost): found, not repeated', async () => {
    const outcome = await runFault({ kind: 'reset-mid-response' }, 'cut-answer');
    assert.ok(proxy.stats.resets > 0, 'connections were reset');
    assert.equal(outcome.succeededDuringFault, 0, 'no answer got through during the fault');
    assert.ok(outcome.performedDuringFault > 0, 'the upstream performed orders whose answers were lost');
  });
});
