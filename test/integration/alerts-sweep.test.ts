import assert from 'node:assert/strict';
import { createDatabase } from '../../src/db/database';
import { KnexAlertNotificationStore } from '../../src/db/alert-notification-store';
import { KnexAlertStore } from '../../src/db/alert-store';
import { balanceRefusedDraft, operationFailedDraft } from '../../src/domain/alert-rules';
import { runAlertSweep } from '../../src/lifecycle/alert-sweep';
import { alertsWithChannels, CHANNELS, listAlerts, notificationsOf, onlyAlert } from '../helpers/alerts';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { alertBookFor, alertSweepDepsFor, lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { startTestService, TEST_PLATFORM_TOKEN, TEST_VIEWER_TOKEN, type TestService } from '../helpers/service';

/** The alerts only the database tells of (drift, pool tips), one open alert per kind and subject, and the route. */
describe('alerts: the sweep, one open alert per subject, GET /v1/admin/alerts', function () {
  this.timeout(90_000);

  describe('with the service running', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ config: { alerts: alertsWithChannels() } });
    });
    afterEach(async () => {
      await h.close();
    });

    const sweep = () => {
      const book = alertBookFor(h.service);
      return runAlertSweep(
        book,
        alertSweepDepsFor(h.service, lifecycleDepsFor(h.service, undefined, { alertBook: book })),
      );
    };
    const reconcile = async () => {
      const answer = await h.service.request('POST', '/v1/admin/licensing-servers/isp/reconcile');
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      const deadline = Date.now() + 20_000;
      for (;;) {
        const run = await h.service.stores.drift.getRun(answer.body.runId);
        if (run?.status === 'succeeded' || run?.status === 'failed') return run;
        assert.ok(Date.now() < deadline, `run still ${run?.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    it('opens drift with the counts per kind while a run finds drift, and resolves it once a run finds none', async () => {
      const byHand = h.sandbox.createLicense({ pricelist: '3541', ip: '198.51.100.7', licname: 'by hand' });
      assert.equal((await reconcile()).status, 'succeeded');
      assert.equal((await sweep()).opened, 1);
      const alert = await onlyAlert(h.service, 'drift');
      assert.deepEqual(alert.subject, { licensingServer: 'isp' });
      assert.match(alert.message, /1 unknown_upstream/);
      assert.equal((await sweep()).opened, 0, 'found again: the same alert');
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS });

      h.sandbox.deleteLicense(byHand.id);
      assert.equal((await reconcile()).status, 'succeeded');
      assert.equal((await sweep()).resolved, 1);
      assert.equal((await onlyAlert(h.service, 'drift', 'resolved')).id, alert.id);
      assert.deepEqual(await notificationsOf(h.service, alert.id), { opened: CHANNELS, resolved: CHANNELS });
    });

    it('gives a pool_low tip for a price list ordered while its pool was empty, until the pool holds one', async () => {
      assert.equal((await h.run('open', openFacts('vps-p1'))).result.source, 'order');
      assert.equal((await h.run('open', openFacts('vps-p2'))).result.source, 'order');
      assert.equal((await sweep()).opened, 1);
      const tip = await onlyAlert(h.service, 'pool_low');
      assert.equal(tip.severity, 'info');
      assert.deepEqual(tip.subject, { licensingServer: 'isp', priceList: '3541' });
      assert.match(tip.message, /Recommended: 2 license\(s\)/);
      assert.match(tip.message, /POST \/v1\/admin\/pool\/orders/);

      // A closed service's license goes to the pool: the price list is stocked again.
      assert.equal((await h.run('close', { id: 'vps-p1' })).status, 'succeeded');
      assert.equal((await sweep()).resolved, 1);
      assert.equal((await onlyAlert(h.service, 'pool_low', 'resolved')).id, tip.id);
    });
  });

  describe('on the database alone', () => {
    let service: TestService;
    beforeEach(async () => {
      service = await startTestService({ alerts: alertsWithChannels() });
    });
    afterEach(async () => {
      await service.close();
    });

    it('keeps one open alert per kind and subject when two processes open it at once', async () => {
      // On PostgreSQL a second knex instance stands for a second process: its own connections, the same database,
      // really at once. SQLite takes one writer at a time (a second process's BEGIN IMMEDIATE waits its turn), and
      // two instances in one process would block each other's event loop, so there the openings queue on one pool:
      // every one after the first still loses on the index and must merge.
      const otherDb = service.database.kind === 'postgres' ? createDatabase(service.database.url) : service.db;
      try {
        const stores = [service.stores.alerts, new KnexAlertStore(otherDb, new KnexAlertNotificationStore(otherDb))];
        const dbs = [service.db, otherDb];
        const ids = Array.from({ length: 16 }, (_, i) => `op-${i}`);
        const results = await Promise.all(
          ids.map((id, i) =>
            dbs[i % 2]!.transaction((trx) =>
              stores[i % 2]!.open(balanceRefusedDraft('isp', id), ['webhook', 'email'], new Date(), trx),
            ),
          ),
        );
        assert.equal(results.filter((r) => r.opened).length, 1, 'opened once');
        const open = await onlyAlert(service, 'balance_refused');
        assert.deepEqual([...open.subject.operations].sort(), [...ids].sort(), 'every operation listed');
        assert.deepEqual(await notificationsOf(service, open.id), { opened: CHANNELS });
      } finally {
        if (otherDb !== service.db) await otherDb.destroy();
      }
    });

    it('lists alerts newest first, filtered by state and kind, to admins and viewers; 400 on a bad filter', async () => {
      const store = service.stores.alerts;
      const at = (minute: number) => new Date(Date.UTC(2026, 11, 2, 10, minute));
      const first = await service.db.transaction((trx) =>
        store.open(operationFailedDraft({ id: 'op-1', event: 'open' }, null), [], at(0), trx),
      );
      await service.db.transaction((trx) => store.open(balanceRefusedDraft('isp', 'op-2'), [], at(1), trx));
      await service.db.transaction((trx) => store.resolve(first.alert.id, [], at(2), trx));

      const all = await listAlerts(service);
      assert.deepEqual(
        all.map((a) => a.kind),
        ['balance_refused', 'operation_failed'],
      );
      assert.deepEqual(Object.keys(all[1]!).sort(), [
        'escalations',
        'id',
        'kind',
        'message',
        'notifiedAt',
        'openedAt',
        'resolvedAt',
        'severity',
        'subject',
      ]);
      assert.deepEqual(
        (await listAlerts(service, '?state=open')).map((a) => a.kind),
        ['balance_refused'],
      );
      const resolved = await listAlerts(service, '?state=resolved&kind=operation_failed');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0]!.resolvedAt, at(2).toISOString());
      assert.deepEqual(await listAlerts(service, '?state=resolved&kind=balance_refused'), []);

      const viewer = await service.request('GET', '/v1/admin/alerts?state=open', { token: TEST_VIEWER_TOKEN });
      assert.equal(viewer.status, 200);
      assert.equal(viewer.body.items.length, 1);
      assert.equal((await service.request('GET', '/v1/admin/alerts', { token: TEST_PLATFORM_TOKEN })).status, 403);
      assert.equal((await service.request('GET', '/v1/admin/alerts', { token: null })).status, 401);
      for (const query of ['?state=closed', '?kind=fire', '?state=']) {
        const answer = await service.request('GET', `/v1/admin/alerts${query}`);
        assert.equal(answer.status, 400, `${query}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'invalid_input');
      }
    });
  });
});
