import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/lifecycle';
import {
  assertExactlyOneEffectEach,
  assertMoneyRules,
  note,
  percentile,
  sendOpen,
  sleep,
  type SentHook,
} from './support/exactly-once';
import { PrivateRedis } from './support/private-redis';
import { TcpProxy } from './support/tcp-proxy';

/**
 * Redis only carries work; the database is the record. So with Redis down the service must still take hooks
 * (durably, 202, quickly) and say it is not ready; once Redis is back, everything accepted completes by itself.
 */
describe('faults: Redis down', function () {
  this.timeout(120_000);
  let redis: PrivateRedis | undefined;
  let h: Harness | undefined;
  let proxy: TcpProxy | undefined;

  afterEach(async () => {
    if (redis && !redis.running) await redis.start().catch(() => undefined);
    // Silent connections are reset (as a peer that comes back does), so the service can stop cleanly.
    proxy?.setMode({ kind: 'pass' });
    proxy?.resetBlackholed();
    await h?.close();
    await proxy?.close();
    await redis?.stop();
    h = undefined;
    proxy = undefined;
    redis = undefined;
  });

  async function readiness(harness: Harness) {
    const started = performance.now();
    const answer = await harness.service.request('GET', '/readyz', { token: null });
    return { ...answer, ms: performance.now() - started };
  }

  /** Sends `count` opens one after the other (each measured on its own), `gapMs` apart. */
  async function sendOpensOneByOne(harness: Harness, prefix: string, count: number, gapMs: number) {
    const sent: SentHook[] = [];
    for (let i = 0; i < count; i++) {
      sent.push(await sendOpen(harness, `${prefix}-${i}`));
      await sleep(gapMs);
    }
    return sent;
  }

  it('down at START: the service starts, takes hooks (202), says not ready; Redis comes up and all of it completes', async () => {
    redis = await PrivateRedis.create({ start: false });
    const startedAt = performance.now();
    h = await startHarness({ config: { redis: { url: redis.url } } });
    const startMs = performance.now() - startedAt;
    assert.ok(startMs < 10_000, `the service started in ${Math.round(startMs)} ms without Redis`);

    const health = await h.service.request('GET', '/healthz', { token: null });
    assert.equal(health.status, 200, JSON.stringify(health.body));
    const notReady = await readiness(h);
    assert.equal(notReady.status, 503, JSON.stringify(notReady.body));
    assert.equal(notReady.body.error.code, 'dependency_down');
    assert.deepEqual(notReady.body.error.details.checks, { database: true, redis: false });
    assert.ok(notReady.ms < 2_000, `/readyz answered in ${Math.round(notReady.ms)} ms with Redis down`);

    const sent = await sendOpensOneByOne(h, 'down-at-start', 10, 50);
    assert.deepEqual(
      sent.filter((s) => s.status !== 202).map((s) => `${s.serviceId}: ${s.status} ${s.error ?? ''}`),
      [],
      'hooks are durable in the database: 202 while Redis is down',
    );
    const slowest = Math.max(...sent.map((s) => s.ms));
    assert.ok(slowest < 1_000, `every hook answered within 1 s (slowest ${Math.round(slowest)} ms)`);
    await sleep(500);
    const stillQueued = await h.service.database
      .db('operations')
      .whereIn(
        'id',
        sent.map((s) => s.operationId!),
      )
      .select('status');
    assert.deepEqual(
      [...new Set(stillQueued.map((r: { status: string }) => r.status))],
      ['queued'],
      'nothing runs without Redis',
    );

    await redis.start();
    const drainStarted = Date.now();
    await assertExactlyOneEffectEach(h, sent, 60_000);
    note(
      `started without Redis in ${Math.round(startMs)} ms; hooks max ${Math.round(slowest)} ms; ` +
        `all settled ${Date.now() - drainStarted} ms after Redis came up`,
    );
    const ready = await readiness(h);
    assert.equal(ready.status, 200, `ready once Redis answers: ${JSON.stringify(ready.body)}`);
    await assertMoneyRules(h);
  });

  it('down MID-RUN: hooks answer 202 within 1 s each, /readyz says redis down (503); Redis restarts and all complete', async () => {
    redis = await PrivateRedis.create();
    h = await startHarness({ config: { redis: { url: redis.url } } });
    const before = await sendOpensOneByOne(h, 'before-outage', 5, 0);
    assert.deepEqual(
      before.map((s) => s.status),
      [202, 202, 202, 202, 202],
    );
    await assertExactlyOneEffectEach(h, before, 30_000);
    assert.equal((await readiness(h)).status, 200, 'ready while Redis answers');

    await redis.kill();
    const during = await sendOpensOneByOne(h, 'during-outage', 20, 50);
    const notReady = await readiness(h);
    const durations = during.map((s) => s.ms);
    assert.deepEqual(
      during.filter((s) => s.status !== 202).map((s) => `${s.serviceId}: ${s.status} ${s.error ?? ''}`),
      [],
      'hooks are durable in the database: 202 while Redis is down',
    );
    assert.ok(
      Math.max(...durations) < 1_000,
      `every hook answered within 1 s while Redis was down (p50 ${Math.round(percentile(durations, 50))} ms, ` +
        `max ${Math.round(Math.max(...durations))} ms)`,
    );
    assert.equal(notReady.status, 503, `not ready while Redis is down: ${JSON.stringify(notReady.body)}`);
    assert.equal(notReady.body.error.code, 'dependency_down');
    assert.deepEqual(notReady.body.error.details.checks, { database: true, redis: false });
    assert.ok(notReady.ms < 2_000, `/readyz answered in ${Math.round(notReady.ms)} ms with Redis down`);
    const health = await h.service.request('GET', '/healthz', { token: null });
    assert.equal(health.status, 200, 'alive while Redis is down');

    await redis.start();
    const drainStarted = Date.now();
    await assertExactlyOneEffectEach(h, during, 60_000);
    note(
      `hooks with Redis down: p50 ${Math.round(percentile(durations, 50))} ms, max ` +
        `${Math.round(Math.max(...durations))} ms; /readyz ${Math.round(notReady.ms)} ms; ` +
        `all settled ${Date.now() - drainStarted} ms after Redis came back`,
    );
    assert.equal((await readiness(h)).status, 200, 'ready again once Redis answers');
    await assertMoneyRules(h);
  });

  it('unreachable WITHOUT a reset (black hole: its host vanished): hooks 202 fast; Redis reachable again → all complete within 30 s', async () => {
    redis = await PrivateRedis.create();
    proxy = await TcpProxy.start({ port: redis.port });
    h = await startHarness({ config: { redis: { url: `redis://127.0.0.1:${proxy.port}` } } });
    const before = await sendOpensOneByOne(h, 'before-hole', 3, 0);
    await assertExactlyOneEffectEach(h, before, 30_000);

    // Every packet on the open connections is dropped from now on; nothing answers, nothing is reset.
    proxy.setMode({ kind: 'blackhole' });
    const during = await sendOpensOneByOne(h, 'during-hole', 10, 50);
    const durations = during.map((s) => s.ms);
    assert.deepEqual(
      during.filter((s) => s.status !== 202).map((s) => `${s.serviceId}: ${s.status} ${s.error ?? ''}`),
      [],
      'hooks are durable in the database: 202 while Redis does not answer',
    );
    assert.ok(
      Math.max(...durations) < 1_000,
      `every hook answered within 1 s (max ${Math.round(Math.max(...durations))} ms)`,
    );
    const notReady = await readiness(h);
    assert.equal(notReady.status, 503, `not ready while Redis does not answer: ${JSON.stringify(notReady.body)}`);
    await sleep(1_000);

    // Redis is reachable again for any new connection; the old ones stay silent, as their peer is gone for good.
    proxy.setMode({ kind: 'pass' });
    const healedAt = Date.now();
    await assertExactlyOneEffectEach(h, during, 30_000);
    note(
      `all settled ${Date.now() - healedAt} ms after Redis was reachable again; proxy ${JSON.stringify(proxy.stats)}`,
    );
    await assertMoneyRules(h);
  });
});
