import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/lifecycle';
import {
  assertExactlyOneEffectEach,
  assertMoneyRules,
  note,
  percentile,
  sendOpenBurst,
  sleep,
} from './support/exactly-once';
import { PrivateRedis } from './support/private-redis';

/**
 * The service on its own redis-server, which is SIGKILLed in the middle of a burst of open hooks and started again
 * on the same port: once with its append-only file (it may have lost up to a second of writes), once from nothing
 * (every job gone). The database is the record, so every hook answered 2xx must still have exactly one effect.
 */
async function runningOperations(h: Harness): Promise<number> {
  const [row] = await h.service.database
    .db('operations')
    .where({ status: 'running' })
    .count<Array<{ n: number | string }>>({ n: '*' });
  return Number(row!.n);
}

describe('faults: redis-server killed during a burst of hooks', function () {
  this.timeout(120_000);
  const BURST = 60;
  const SPREAD_MS = 2_000;
  let redis: PrivateRedis | undefined;
  let h: Harness | undefined;

  afterEach(async () => {
    // The service is stopped while its Redis answers (BullMQ closes cleanly), then the server goes.
    if (redis && !redis.running) await redis.start().catch(() => undefined);
    await h?.close();
    await redis?.stop();
    h = undefined;
    redis = undefined;
  });

  for (const restart of [
    { wipe: false, what: 'restarted with its append-only file' },
    { wipe: true, what: 'restarted empty (its data lost)' },
  ]) {
    it(`${BURST} opens over ${SPREAD_MS / 1000} s, redis-server SIGKILLed mid-burst and ${restart.what}: each 2xx hook has exactly one effect`, async () => {
      redis = await PrivateRedis.create();
      // Slow upstream calls keep operations (and their BullMQ jobs) in flight when the server dies.
      h = await startHarness({ sandbox: { latencyMs: 100 }, config: { redis: { url: redis.url } } });
      const started = Date.now();
      const timeline: string[] = [];
      let outage: Promise<void> | undefined;
      let activeAtKill = 0;
      const hooks = await sendOpenBurst(h, {
        prefix: `rk-${restart.wipe ? 'wipe' : 'aof'}`,
        count: BURST,
        spreadMs: SPREAD_MS,
        onSent: (i) => {
          if (i !== Math.floor(BURST / 3)) return;
          outage = (async () => {
            activeAtKill = await runningOperations(h!);
            timeline.push(`${Date.now() - started} ms: SIGKILL redis-server ${redis!.pid}`);
            await redis!.kill();
            await sleep(700);
            await redis!.restart({ wipe: restart.wipe });
            timeline.push(`${Date.now() - started} ms: redis-server ${redis!.pid} answers again`);
          })();
        },
      });
      await outage;
      const answers = hooks.map((s) => s.status);
      const accepted = hooks.filter((s) => s.status >= 200 && s.status < 300);
      assert.deepEqual(
        hooks.filter((s) => s.status !== 202).map((s) => `${s.serviceId}: ${s.status} ${s.error ?? ''}`),
        [],
        `every hook is durable in the database, so every one is answered 202 (${timeline.join('; ')})`,
      );
      assert.equal(answers.length, BURST);

      const drainStarted = Date.now();
      await assertExactlyOneEffectEach(h, accepted, 60_000);
      const ms = hooks.map((s) => s.ms);
      note(`${timeline.join('; ')}; ${activeAtKill} operation(s) running at the kill`);
      note(
        `hooks: p50 ${Math.round(percentile(ms, 50))} ms, max ${Math.round(Math.max(...ms))} ms; ` +
          `all ${BURST} settled ${Date.now() - drainStarted} ms after the burst ended`,
      );
      await assertMoneyRules(h);
      const upstreamOrders = h.sandbox.calls().filter((c) => c.func === 'soft.order.param' && c.performed);
      assert.equal(upstreamOrders.length, BURST, 'one order upstream per service, nothing more');
    });
  }
});
