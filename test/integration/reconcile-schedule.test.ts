import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startReconcileSchedule } from '../../src/queue/reconcile-schedule';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { startHarness, type Harness } from '../helpers/lifecycle';
import { deleteRedisKeysWithPrefix, openTestRedis, uniqueRedisName } from '../helpers/redis';

/** `reconcile.intervalMs`: reconciliation runs by itself, one run of every licensing server per interval. */
describe('reconciliation schedule', function () {
  this.timeout(60_000);
  let h: Harness;
  let connection: Redis;
  const queueName = uniqueRedisName('reconcile');

  before(async () => {
    h = await startHarness({ role: 'api' });
    connection = await openTestRedis();
  });
  after(async () => {
    await h.close();
    await connection.quit();
    await deleteRedisKeysWithPrefix(`bull:${queueName}`);
  });

  it('runs every licensing server each interval, with no request', async () => {
    const byHand = h.sandbox.createLicense({ pricelist: '3541' });
    const deps = { ...lifecycleDepsFor(h.service), licensingServers: h.service.stores.licensingServers };
    const schedule = await startReconcileSchedule({ queueName, connection, everyMs: 300, deps, logger: deps.logger });
    try {
      const runs = async () =>
        (await h.service.database.db('reconcile_runs').where({ requested_by: 'scheduler', status: 'succeeded' }))
          .length;
      const deadline = Date.now() + 15_000;
      while ((await runs()) < 2) {
        assert.ok(Date.now() < deadline, 'two scheduled runs');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await schedule.close();
    }
    const items = await h.service.stores.drift.list({ licensingServer: 'isp' });
    assert.deepEqual(
      items.map((i) => [i.kind, i.upstreamId]),
      [['unknown_upstream', byHand.id]],
    );
  });
});
