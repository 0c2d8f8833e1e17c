import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/lifecycle';
import { checkMoneyRules } from './support/money-checker';
import { accept, auditCount, newServiceFacts, operationRows, succeeded, waitFor } from './support/fault-helpers';
import { ServiceProcesses, type ServiceProcess } from './support/service-processes';

/**
 * A worker whose event loop blocks (`LICENSE_MODULE_STALL_AT=<point>:<ms>`: no heartbeat, no lease renewal, no
 * BullMQ lock renewal) longer than its lease (`worker.leaseMs`, 3 s here) while a second worker process runs. The
 * relay re-enqueues the operation once the lease has passed, the second worker claims it and finishes it (looking up
 * what the stalled one may have done upstream), and the stalled worker, once it wakes, must not write anything: its
 * next write finds the lease gone (`LeaseLostError`, verdict `lease-lost`).
 *
 * BullMQ's own lock (`lockDuration` 60 s in src/queue/operation-worker.ts) outlives the stall, so BullMQ does not
 * redeliver the stalled job here: the database lease decides who runs the operation, and that is what is tested.
 */
/** Long enough for a rescuer spawned on a loaded two-core machine (the stalled one busy-loops a core) to finish. */
const STALL_MS = 12_000;

describe('faults: a worker stalled past its lease while another worker runs', function () {
  this.timeout(90_000);
  let h: Harness;
  let processes: ServiceProcesses;

  beforeEach(async () => {
    h = await startHarness({ role: 'api' });
    processes = new ServiceProcesses(h.service.config);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(processes.outputs());
    await processes.dispose();
    await h.close();
  });

  for (const point of ['before-call:order', 'after-call:order']) {
    it(`stalled ${STALL_MS} ms at ${point}: the second worker takes the operation, one order, the stalled one writes nothing`, async () => {
      assert.ok(STALL_MS > h.service.config.worker.leaseMs, 'the stall outlasts the lease');
      const stalled = processes.spawn({ stallAt: `${point}:${STALL_MS}`, logLevel: 'info', label: 'stalled' });
      await stalled.ready();
      const facts = newServiceFacts('stall');
      const operationId = await accept(h, 'open', facts);
      await stalled.waitForOutput(new RegExp(`stall point reached: ${point}`), 20_000);
      const stalledAt = Date.now();
      if (point === 'after-call:order')
        assert.equal(h.ordersByOperation().get(operationId), 1, 'the stalled worker’s order reached the upstream');
      else assert.equal(h.ordersByOperation().get(operationId), undefined, 'no order before the stall');

      const rescuer = processes.spawn({ logLevel: 'info', label: 'rescuer' });
      const op = await succeeded(h, operationId);
      const tookOverAfterMs = Date.now() - stalledAt;
      assert.ok(stalled.running(), 'the stalled worker is still blocked (or alive) when the operation succeeds');
      assert.ok(op.attempts >= 2, `a second claim took the operation (attempts ${op.attempts})`);
      assert.ok(
        tookOverAfterMs < STALL_MS,
        `the rescuer finished within the stall (${tookOverAfterMs} ms), so the lease handed it over, not the wake-up`,
      );
      assert.match(rescuer.output(), new RegExp(`"operationId":"${operationId}"[^\\n]*"msg":"operation started"`));

      // The stalled worker wakes, finds its lease gone and ends its attempt without writing.
      await stalled.waitForOutput(
        new RegExp(`"operationId":"${operationId}"[^\\n]*"verdict":"lease-lost"[^\\n]*"msg":"operation attempt ended"`),
        STALL_MS + 15_000,
      );
      assert.equal(h.ordersByOperation().get(operationId), 1, 'exactly one order for the operation');
      assert.equal(await auditCount(h, 'license.ordered', operationId), 1, 'one license recorded as ordered');
      assert.equal(await auditCount(h, 'operation.open.succeeded', operationId), 1, 'the operation finished once');
      const after = (await operationRows(h, [operationId]))[0]!;
      assert.equal(after.status, 'succeeded', 'still succeeded after the stalled worker woke');
      assert.equal(after.attempts, op.attempts, 'the stalled worker made no new attempt');
      const licenses: Array<{ upstream_id: string; state: string; service_id: string }> = await h.service.database
        .db('licenses')
        .select('upstream_id', 'state', 'service_id');
      assert.deepEqual(
        licenses.map((l) => [l.state, l.service_id]),
        [['bound', facts.id]],
        'one license, bound to the service',
      );

      // Both workers go on working: the stalled one was not broken by losing its lease.
      const next = await Promise.all(
        [0, 1, 2, 3].map(async () => succeeded(h, await accept(h, 'open', newServiceFacts('stall-next')))),
      );
      assert.equal(next.length, 4, 'four more opens succeeded');
      await waitFor('every operation to settle', async () =>
        (await operationRows(h)).every((r) => r.status === 'succeeded'),
      );
      await stopCleanly(stalled);
      await stopCleanly(rescuer);
      await checkMoneyRules(h);
    });
  }
});

async function stopCleanly(worker: ServiceProcess): Promise<void> {
  await worker.stop(15_000);
  const exit = await worker.exited;
  assert.equal(exit.code, 0, `${worker.label} stopped with ${JSON.stringify(exit)}`);
}
