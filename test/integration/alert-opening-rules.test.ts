import assert from 'node:assert/strict';
import { runAlertSweep } from '../../src/lifecycle/alert-sweep';
import { outcomeOf } from '../../src/lifecycle/observed-module';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { runMaintenanceSweep } from '../../src/queue/maintenance';
import { alertsWithChannels, CHANNELS, listAlerts, notificationsOf, onlyAlert } from '../helpers/alerts';
import { DAY_MS, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { alertBookFor, alertSweepDepsFor, lifecycleDepsFor } from '../helpers/lifecycle-deps';

/**
 * SPEC.md "Alerts and escalation": a renewal that KEEPS failing and a licensing server that STAYS unreachable are
 * alerts; a single lost call that the next one gets past is not (no worker runs: the test drives each attempt and
 * call itself, on the sandbox's clock).
 */
describe('alerts: what opens them, and what does not', function () {
  this.timeout(90_000);
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const setUp = async () => {
    h = await startHarness({ role: 'api', config: { alerts: alertsWithChannels() } });
    const clock = () => h.sandbox.clock.now();
    const book = alertBookFor(h.service, clock);
    const deps = lifecycleDepsFor(h.service, clock, { alertBook: book });
    const runner = new OperationRunner(deps, { callbackDue: false });
    const run = async (operationId: string) => {
      await runner.run(operationId);
      await book.idle();
      return (await h.service.stores.operations.get(operationId))!;
    };
    return { book, deps, run };
  };

  describe('renewal_failing', () => {
    /** An active service whose renewal the scheduler has just made, two days before its license lapses. */
    const renewalDue = async (
      run: (id: string) => Promise<{ status: string }>,
      deps: ReturnType<typeof lifecycleDepsFor>,
    ) => {
      const opened = await h.hook('open', openFacts('vps-t'));
      assert.equal((await run(opened.body.operationId)).status, 'succeeded');
      await h.service.database
        .db('services')
        .where({ id: 'vps-t' })
        .update({ paid_until: paidUntilIn(500) });
      const license = (await h.service.stores.licenses.findByService('vps-t'))!;
      h.sandbox.clock.set(new Date(license.paidUntil!.getTime() - 2 * DAY_MS));
      assert.equal((await runMaintenanceSweep(deps)).renewals, 1);
      const [renewal] = await h.service.database.db('operations').where({ service_id: 'vps-t', event: 'renew' });
      return renewal.id as string;
    };
    const nextAttemptDue = () => h.sandbox.clock.advance(60_000);

    it('does not open on one transient 5xx that the next attempt gets past', async () => {
      const { deps, run } = await setUp();
      const renewal = await renewalDue(run, deps);
      h.sandbox.armFault({ kind: 'http', status: 503, func: 'service.prolong', times: Infinity });
      const first = await run(renewal);
      assert.equal(first.status, 'queued', 'to be tried again');
      assert.equal(first.attempts, 1);
      assert.deepEqual(await listAlerts(h.service), [], 'one lost call is no alert');

      h.sandbox.clearFaults();
      nextAttemptDue();
      assert.equal((await run(renewal)).status, 'succeeded');
      assert.deepEqual(await listAlerts(h.service), [], 'nothing was ever opened');
    });

    it('opens once the renewal is to be tried again after its third attempt', async () => {
      const { deps, run } = await setUp();
      const renewal = await renewalDue(run, deps);
      h.sandbox.armFault({ kind: 'http', status: 503, func: 'service.prolong', times: Infinity });
      for (const attempt of [1, 2]) {
        const op = await run(renewal);
        assert.deepEqual([op.status, op.attempts], ['queued', attempt]);
        assert.deepEqual(await listAlerts(h.service, '?kind=renewal_failing'), [], `not after attempt ${attempt}`);
        nextAttemptDue();
      }
      const third = await run(renewal);
      assert.deepEqual([third.status, third.attempts], ['queued', 3]);
      const alert = await onlyAlert(h.service, 'renewal_failing');
      assert.equal(alert.subject.serviceId, 'vps-t');
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });
    });
  });

  describe('upstream_unreachable', () => {
    const callIsp = async (deps: ReturnType<typeof lifecycleDepsFor>) => {
      try {
        await (await deps.modules.forServer('isp')).checkConnection();
        return 'answered';
      } catch (error) {
        return outcomeOf(error);
      }
    };

    it('does not open on one unreachable call followed by an answer', async () => {
      const { book, deps } = await setUp();
      h.sandbox.armFault({ kind: 'http', status: 503, times: Infinity });
      assert.equal(await callIsp(deps), 'unreachable');
      h.sandbox.clearFaults();
      assert.equal(await callIsp(deps), 'answered');
      await book.idle();
      assert.deepEqual(await listAlerts(h.service), []);
      assert.deepEqual(book.suspectServers(), [], 'the answer cleared the suspicion');
    });

    it('opens on the third unreachable call in a row, once, and resolves at the next answer', async () => {
      const { book, deps } = await setUp();
      h.sandbox.armFault({ kind: 'http', status: 503, times: Infinity });
      for (const call of [1, 2]) {
        assert.equal(await callIsp(deps), 'unreachable');
        await book.idle();
        assert.deepEqual(await listAlerts(h.service), [], `not after call ${call}`);
      }
      assert.equal(await callIsp(deps), 'unreachable');
      await book.idle();
      const alert = await onlyAlert(h.service, 'upstream_unreachable');
      assert.deepEqual(alert.subject, { licensingServer: 'isp' });
      for (let i = 0; i < 3; i++) assert.equal(await callIsp(deps), 'unreachable');
      await book.idle();
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS }, 'opened and notified once');

      h.sandbox.clearFaults();
      assert.equal(await callIsp(deps), 'answered');
      await book.idle();
      assert.equal((await onlyAlert(h.service, 'upstream_unreachable', 'resolved')).id, alert.id);
    });

    it('opens when the sweep probes a server whose last call got no answer and the probe gets none either', async () => {
      const { book, deps } = await setUp();
      const sweep = async () => {
        const report = await runAlertSweep(book, alertSweepDepsFor(h.service, deps));
        await book.idle();
        return report;
      };
      // A suspect that answers the probe is cleared, and nothing opens.
      h.sandbox.armFault({ kind: 'http', status: 503, times: Infinity });
      assert.equal(await callIsp(deps), 'unreachable');
      await book.idle();
      assert.deepEqual(book.suspectServers(), ['isp']);
      h.sandbox.clearFaults();
      assert.equal((await sweep()).probed, 1);
      assert.deepEqual(book.suspectServers(), []);
      assert.deepEqual(await listAlerts(h.service), []);

      // A suspect that does not answer the probe either: opened by the sweep.
      h.sandbox.armFault({ kind: 'http', status: 503, times: Infinity });
      assert.equal(await callIsp(deps), 'unreachable');
      const report = await sweep();
      assert.deepEqual([report.probed, report.opened], [1, 1]);
      const alert = await onlyAlert(h.service, 'upstream_unreachable');
      assert.match(alert.message, /checkConnection/);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });
    });
  });
});
