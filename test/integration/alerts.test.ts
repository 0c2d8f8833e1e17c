import assert from 'node:assert/strict';
import { runAlertSweep } from '../../src/lifecycle/alert-sweep';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { runMaintenanceSweep } from '../../src/queue/maintenance';
import { alertsWithChannels, CHANNELS, eventually, notificationsOf, onlyAlert, listAlerts } from '../helpers/alerts';
import { DAY_MS, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { alertBookFor, alertSweepDepsFor, lifecycleDepsFor } from '../helpers/lifecycle-deps';

const HOUR_MS = 3_600_000;

/** SPEC.md "Alerts and escalation": the alerts the operations raise, their escalation on a moved clock, and their end. */
describe('alerts: opened by operations and upstream calls, escalated, resolved', function () {
  this.timeout(90_000);
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /**
   * No worker in the service: the test runs each attempt itself with a runner, an alert book and a sweep that all
   * read the sandbox's clock, so time is moved, never waited for.
   */
  describe('a renewal refused again and again (moved clock)', () => {
    it('opens renewal_failing, notifies at 0, 12, 24 and 36 h, turns critical when the license lapses, resolves once renewed', async () => {
      h = await startHarness({ role: 'api', config: { alerts: alertsWithChannels() } });
      const clock = () => h.sandbox.clock.now();
      const book = alertBookFor(h.service, clock);
      const deps = lifecycleDepsFor(h.service, clock, { alertBook: book });
      const runner = new OperationRunner(deps, { callbackDue: false });
      const sweepAt = (at: number) => {
        h.sandbox.clock.set(new Date(at));
        return runAlertSweep(book, alertSweepDepsFor(h.service, deps));
      };
      const run = async (operationId: string) => {
        await runner.run(operationId);
        return (await h.service.stores.operations.get(operationId))!;
      };

      const opened = await h.hook('open', openFacts('vps-r'));
      assert.equal((await run(opened.body.operationId)).status, 'succeeded');
      await h.service.database
        .db('services')
        .where({ id: 'vps-r' })
        .update({ paid_until: paidUntilIn(500) });
      const license = (await h.service.stores.licenses.findByService('vps-r'))!;
      const lapsesAt = license.paidUntil!.getTime();

      // Two days before the license lapses the scheduler renews it, and the licensing server refuses every renewal.
      const t0 = lapsesAt - 2 * DAY_MS;
      h.sandbox.clock.set(new Date(t0));
      assert.equal((await runMaintenanceSweep(deps)).renewals, 1);
      const [renewal] = await h.service.database.db('operations').where({ service_id: 'vps-r', event: 'renew' });
      h.sandbox.armFault({
        kind: 'error',
        type: 'access',
        message: 'refused',
        func: 'service.prolong',
        times: Infinity,
      });
      assert.equal((await run(renewal.id)).status, 'failed');

      const alert = await onlyAlert(h.service, 'renewal_failing');
      assert.deepEqual(alert.subject, { licenseId: license.id, serviceId: 'vps-r' });
      assert.equal(alert.severity, 'warning');
      assert.equal(alert.escalations, 0);
      assert.match(alert.message, /upstream_access/);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });
      assert.deepEqual(await listAlerts(h.service, '?kind=operation_failed'), [], 'the renewal alert follows it');

      // An hour later the sweep retries the failed renewal, as a person would (audited, actor scheduler).
      assert.equal((await sweepAt(t0 + HOUR_MS + 1000)).retried, 1);
      assert.equal((await h.service.stores.operations.get(renewal.id))!.status, 'queued');
      const retries = (await h.service.stores.audit.listFor('operation', renewal.id)).filter(
        (row) => row.action === 'operation.retry',
      );
      assert.equal(retries.length, 1);
      assert.equal(retries[0]!.actor, 'scheduler');
      assert.equal((await run(renewal.id)).status, 'failed');
      assert.equal((await sweepAt(t0 + HOUR_MS + 2000)).retried, 0, 'not again within the hour');

      // Escalations at 12, 24 and 36 hours: one notice per channel each, counted on the alert.
      for (const [hours, escalations] of [
        [12, 1],
        [24, 2],
        [36, 3],
      ] as const) {
        const report = await sweepAt(t0 + hours * HOUR_MS + 1000);
        assert.equal(report.escalated, 1, `at ${hours} h`);
        assert.equal((await run(renewal.id)).status, 'failed');
        const now = await onlyAlert(h.service, 'renewal_failing');
        assert.equal(now.escalations, escalations);
        assert.equal(now.severity, 'warning', 'the license is still paid');
        assert.deepEqual(await notificationsOf(h.service, alert.id), {
          opened: CHANNELS,
          escalated: escalations * CHANNELS,
        });
      }

      // The license lapses while the service is paid: critical, notified as an escalation, once.
      assert.equal((await sweepAt(lapsesAt + HOUR_MS)).escalated, 1);
      assert.equal((await run(renewal.id)).status, 'failed');
      assert.equal((await sweepAt(lapsesAt + HOUR_MS + 1000)).escalated, 0);
      const critical = await onlyAlert(h.service, 'renewal_failing');
      assert.equal(critical.severity, 'critical');
      assert.equal(critical.escalations, 3);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS, escalated: 4 * CHANNELS });

      // The licensing server takes renewals again: the hourly retry passes and the alert resolves, notified.
      h.sandbox.clearFaults();
      assert.equal((await sweepAt(lapsesAt + 3 * HOUR_MS)).retried, 1);
      assert.equal((await run(renewal.id)).status, 'succeeded');
      const resolved = await onlyAlert(h.service, 'renewal_failing', 'resolved');
      assert.equal(resolved.id, alert.id);
      assert.ok(resolved.resolvedAt);
      assert.deepEqual(await notificationsOf(h.service, alert.id), {
        opened: CHANNELS,
        escalated: 4 * CHANNELS,
        resolved: CHANNELS,
      });
      assert.deepEqual(await listAlerts(h.service, '?state=open'), []);
    });
  });

  describe('with the service running', () => {
    it('opens upstream_unreachable when a reconciliation gets no answer, probes hourly, resolves when it answers', async () => {
      h = await startHarness({ config: { alerts: alertsWithChannels() } });
      h.sandbox.armFault({ kind: 'http', status: 503, times: Infinity });
      assert.equal((await h.service.request('POST', '/v1/admin/licensing-servers/isp/reconcile')).status, 202);
      const alert = await eventually(h.service, 'upstream_unreachable', 'open');
      assert.deepEqual(alert.subject, { licensingServer: 'isp' });
      assert.equal(alert.severity, 'warning');
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });

      // The sweep's probe, an hour on: still no answer, so still open, and not probed again within the hour.
      let at = Date.now() + HOUR_MS + 1000;
      const book = alertBookFor(h.service, () => new Date(at));
      const deps = lifecycleDepsFor(h.service, () => new Date(at), { alertBook: book });
      const sweepDeps = alertSweepDepsFor(h.service, deps);
      assert.equal((await runAlertSweep(book, sweepDeps)).probed, 1);
      assert.equal((await onlyAlert(h.service, 'upstream_unreachable')).id, alert.id);
      assert.equal((await runAlertSweep(book, sweepDeps)).probed, 0);
      assert.equal((await listAlerts(h.service, '?kind=upstream_unreachable')).length, 1, 'one alert for many calls');

      // It answers again: the next probe resolves the alert, notified.
      h.sandbox.clearFaults();
      const callsBefore = h.sandbox.calls().length;
      at += HOUR_MS + 1000;
      const report = await runAlertSweep(book, sweepDeps);
      await book.idle();
      assert.equal(report.probed, 1);
      assert.ok(h.sandbox.calls().length > callsBefore, 'the probe reached the licensing server');
      assert.equal((await onlyAlert(h.service, 'upstream_unreachable', 'resolved')).id, alert.id);
      assert.equal((await notificationsOf(h.service, alert.id)).resolved, CHANNELS);
    });

    it('opens operation_failed for an operation that needs a person, and resolves it when a retry succeeds', async () => {
      h = await startHarness({ config: { alerts: alertsWithChannels() } });
      h.sandbox.armFault({ kind: 'error', type: 'access', message: 'refused', func: 'soft.order.param' });
      const failed = await h.run('open', openFacts('vps-f'));
      assert.equal(failed.status, 'failed');
      const alert = await onlyAlert(h.service, 'operation_failed');
      assert.deepEqual(alert.subject, { operationId: failed.id });
      assert.equal(alert.severity, 'warning');
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });

      assert.equal((await h.service.request('POST', `/v1/admin/operations/${failed.id}/retry`)).status, 202);
      assert.equal((await h.settled(failed.id)).status, 'succeeded');
      const resolved = await onlyAlert(h.service, 'operation_failed', 'resolved');
      assert.equal(resolved.id, alert.id);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS, resolved: CHANNELS });
    });

    it('a balance refusal is critical at once, lists each refused operation, resolves when the retry after a top-up pays, and hands the still failed ones to a person', async () => {
      h = await startHarness({ config: { alerts: alertsWithChannels() } });
      h.sandbox.setBalance(0);
      const first = await h.run('open', openFacts('vps-b1'));
      assert.equal(first.status, 'failed');
      assert.equal(first.error.code, 'upstream_balance');
      const alert = await onlyAlert(h.service, 'balance_refused');
      assert.equal(alert.severity, 'critical');
      assert.deepEqual(alert.subject, { licensingServer: 'isp', operations: [first.id] });

      const second = await h.run('open', openFacts('vps-b2'));
      assert.equal(second.error.code, 'upstream_balance');
      const both = await onlyAlert(h.service, 'balance_refused');
      assert.equal(both.id, alert.id, 'the same alert, not a new one');
      assert.deepEqual(both.subject.operations, [first.id, second.id]);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS }, 'notified once');
      assert.deepEqual(await listAlerts(h.service, '?kind=operation_failed'), []);

      h.sandbox.setBalance(100_000);
      assert.equal((await h.service.request('POST', `/v1/admin/operations/${first.id}/retry`)).status, 202);
      assert.equal((await h.settled(first.id)).status, 'succeeded');
      const resolved = await eventually(h.service, 'balance_refused', 'resolved');
      assert.equal(resolved.id, alert.id);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS, resolved: CHANNELS });
      // The second refused `open` is still failed and nothing retries it by itself: it now has its own alert,
      // opened in the resolution's transaction.
      assert.equal((await h.service.stores.operations.get(second.id))!.status, 'failed');
      const handedOver = await onlyAlert(h.service, 'operation_failed');
      assert.deepEqual(handedOver.subject, { operationId: second.id });
      assert.match(handedOver.message, /upstream_balance/);
      assert.deepEqual(await notificationsOf(h.service, handedOver.id), { opened: CHANNELS });
      assert.match(alert.message, /top up the balance, then retry the listed operations/);
    });
  });
});
