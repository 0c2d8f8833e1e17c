import assert from 'node:assert/strict';
import type { Config } from '../../src/config/schema';
import { runAlertSweep } from '../../src/lifecycle/alert-sweep';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { runMaintenanceSweep } from '../../src/queue/maintenance';
import { alertsWithChannels, listAlerts, onlyAlert } from '../helpers/alerts';
import { DAY_MS, fastWorkerSettings, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { alertBookFor, alertSweepDepsFor, lifecycleDepsFor } from '../helpers/lifecycle-deps';

const HOUR_MS = 3_600_000;

/**
 * What the alert sweep retries (the failed renewal at the head of a service's line, never a stale one) and how it
 * tells that a `spend_limit` is over. No worker runs: the test drives each attempt and sweep on the sandbox's clock.
 */
describe('alerts: the sweep retries the head of the line, and sees waiting operations per server', function () {
  this.timeout(90_000);
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const setUp = async (config: Partial<Config> = {}) => {
    h = await startHarness({ role: 'api', config: { alerts: alertsWithChannels(), ...config } });
    const clock = () => h.sandbox.clock.now();
    const book = alertBookFor(h.service, clock);
    const deps = lifecycleDepsFor(h.service, clock, { alertBook: book });
    const runner = new OperationRunner(deps, { callbackDue: false });
    const run = async (operationId: string, by = runner) => {
      await by.run(operationId);
      await book.idle();
      return (await h.service.stores.operations.get(operationId))!;
    };
    const sweepAt = (at: number) => {
      h.sandbox.clock.set(new Date(at));
      return runAlertSweep(book, alertSweepDepsFor(h.service, deps));
    };
    return { deps, run, sweepAt };
  };

  it('retries only the oldest failed renewal of a service, and none older than a success of that service', async () => {
    const { deps, run, sweepAt } = await setUp();
    const opened = await h.hook('open', openFacts('vps-h'));
    assert.equal((await run(opened.body.operationId)).status, 'succeeded');
    await h.service.database
      .db('services')
      .where({ id: 'vps-h' })
      .update({ paid_until: paidUntilIn(500) });
    const license = (await h.service.stores.licenses.findByService('vps-h'))!;
    const t0 = license.paidUntil!.getTime() - 2 * DAY_MS;
    h.sandbox.clock.set(new Date(t0));
    assert.equal((await runMaintenanceSweep(deps)).renewals, 1);
    const [renewal] = await h.service.database.db('operations').where({ service_id: 'vps-h', event: 'renew' });
    h.sandbox.armFault({ kind: 'error', type: 'access', message: 'refused', func: 'service.prolong', times: Infinity });
    assert.equal((await run(renewal.id)).status, 'failed');
    await onlyAlert(h.service, 'renewal_failing');

    // A later prolong of the same service that failed too (it cannot run before the renewal has succeeded; its row
    // is set as a person's earlier retry could have left it).
    const later = (await h.hook('prolong', { id: 'vps-h', paidUntil: paidUntilIn(600) })).body.operationId as string;
    const setStatus = (id: string, status: string) =>
      h.service.database
        .db('operations')
        .where({ id })
        .update({ status, updated_at: new Date(t0).toISOString() });
    await setStatus(later, 'failed');
    const statuses = async () =>
      Promise.all([renewal.id, later].map(async (id) => (await h.service.stores.operations.get(id))!.status));

    assert.equal((await sweepAt(t0 + HOUR_MS + 1000)).retried, 1, 'one retry: the head of the line');
    assert.deepEqual(await statuses(), ['queued', 'failed']);
    const retriedByScheduler = async (id: string) =>
      (await h.service.stores.audit.listFor('operation', id)).filter((row) => row.action === 'operation.retry');
    assert.equal((await retriedByScheduler(renewal.id)).length, 1);
    assert.equal((await retriedByScheduler(later)).length, 0);

    // The renewal fails again, and a later operation of the service has succeeded meanwhile: retrying the older
    // renewal now could set the paid-until back, so it is left to a person.
    assert.equal((await run(renewal.id)).status, 'failed');
    await setStatus(later, 'succeeded');
    assert.equal((await sweepAt(t0 + 3 * HOUR_MS)).retried, 0);
    assert.deepEqual(await statuses(), ['failed', 'succeeded']);
  });

  it('keeps spend_limit open while an operation waits on that server, and resolves it once none does', async () => {
    const lifecycle = { ...fastWorkerSettings('unused').lifecycle, maxPaidCallsPerDay: 1 };
    const { deps, run, sweepAt } = await setUp({ lifecycle });
    assert.equal((await run((await h.hook('open', openFacts('cap-1'))).body.operationId)).status, 'succeeded');
    const second = (await h.hook('open', openFacts('cap-2'))).body.operationId as string;
    const waiting = await run(second);
    assert.deepEqual([waiting.status, waiting.error?.code], ['waiting', 'spend_limit']);
    const alert = await onlyAlert(h.service, 'spend_limit');
    assert.deepEqual(alert.subject, { licensingServer: 'isp' });

    // The licensing server is found from the hook's tariff plan (the service has none stored yet).
    const facts = h.service.stores.alertFacts;
    assert.deepEqual([...(await facts.serversWaitingWith('spend_limit'))], ['isp']);
    assert.deepEqual([...(await facts.serversWaitingWith('spend_'))], [], 'the code is matched whole');
    assert.deepEqual([...(await facts.serversWaitingWith('spend%'))], [], 'LIKE wildcards are escaped');
    const now = h.sandbox.clock.now().getTime();
    assert.equal((await sweepAt(now + 1000)).resolved, 0);
    await onlyAlert(h.service, 'spend_limit');

    // A raised cap and a retry order it; the worker's book does not hear the paid call, so the sweep resolves it.
    const raised = { ...deps, settings: { ...deps.settings, maxPaidCallsPerDay: 2 } };
    await h.service.stores.operations.retry(second, new Date());
    const unobserved = lifecycleDepsFor(h.service, () => h.sandbox.clock.now());
    const done = await run(
      second,
      new OperationRunner({ ...unobserved, settings: raised.settings }, { callbackDue: false }),
    );
    assert.equal(done.status, 'succeeded');
    assert.equal((await sweepAt(now + 2000)).resolved, 1);
    assert.equal((await onlyAlert(h.service, 'spend_limit', 'resolved')).id, alert.id);
    assert.deepEqual(await listAlerts(h.service, '?kind=spend_limit&state=open'), []);
  });
});
