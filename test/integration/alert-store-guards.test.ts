import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import pino from 'pino';
import { KnexAlertNotificationStore } from '../../src/db/alert-notification-store';
import { KnexAlertStore } from '../../src/db/alert-store';
import { operationFailedDraft, upstreamUnreachableDraft, type AlertDraft } from '../../src/domain/alert-rules';
import type { AlertChannel, AlertKind } from '../../src/domain/alerts';
import { AlertBook } from '../../src/lifecycle/alert-book';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { alertsWithChannels, CHANNELS, listAlerts, notificationsOf, onlyAlert } from '../helpers/alerts';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { alertBookFor, lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { startTestService, type TestService } from '../helpers/service';

const BOTH: AlertChannel[] = ['webhook', 'email'];

/** A real SQL error inside the alert's writes, as a broken alerts schema would give (it aborts a PG transaction). */
async function failingSql(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT no_such_column FROM alerts');
}

/** An alert store that writes, then fails: what the operation's transaction must survive. */
class FailingAlertStore extends KnexAlertStore {
  override async open(draft: AlertDraft, channels: readonly AlertChannel[], now: Date, trx: Knex.Transaction) {
    const result = await super.open(draft, channels, now, trx);
    await failingSql(trx);
    return result;
  }
  override async resolve(id: string, channels: readonly AlertChannel[], now: Date, trx: Knex.Transaction) {
    const result = await super.resolve(id, channels, now, trx);
    await failingSql(trx);
    return result;
  }
}

/** Stands in for another process that resolves the open alert between our lost insert and our read of it. */
class ResolvedMeanwhileStore extends KnexAlertStore {
  interleave = true;
  protected override async lockOpen(kind: AlertKind, key: string, trx: Knex.Transaction) {
    if (this.interleave) {
      this.interleave = false;
      for (const open of await this.listOpen(trx))
        if (open.kind === kind) await this.resolve(open.id, [], new Date(), trx);
    }
    return super.lockOpen(kind, key, trx);
  }
}

describe('alerts: compare-and-set escalation, a lost opening, and operations unharmed by the alerts', function () {
  this.timeout(90_000);

  describe('on the database alone', () => {
    let service: TestService;
    beforeEach(async () => {
      service = await startTestService({ alerts: alertsWithChannels() });
    });
    afterEach(async () => {
      await service.close();
    });

    it('escalates a step once when two sweeps apply it from the same reading (notified once)', async () => {
      const opened = await service.db.transaction((trx) =>
        service.stores.alerts.open(upstreamUnreachableDraft('isp', 'list'), BOTH, new Date(), trx),
      );
      // Both books hold the alert as it was read before either escalated it: overlapping sweeps.
      const books = [alertBookFor(service), alertBookFor(service)];
      const apply = (change: { escalations?: number; severity?: 'critical'; message?: string }) =>
        Promise.all(books.map((book) => service.db.transaction((trx) => book.escalate(opened.alert, change, trx))));

      const first = await apply({ escalations: 1 });
      assert.equal(first.filter(Boolean).length, 1, 'one of the two applied the 12 h step');
      assert.deepEqual(await notificationsOf(service, opened.alert.id), { opened: CHANNELS, escalated: CHANNELS });

      const critical = await apply({ severity: 'critical', message: 'the license has lapsed' });
      assert.equal(critical.filter(Boolean).length, 1, 'one critical turn');
      assert.deepEqual(await notificationsOf(service, opened.alert.id), {
        opened: CHANNELS,
        escalated: 2 * CHANNELS,
      });

      assert.equal((await apply({ escalations: 2 })).filter(Boolean).length, 1, 'the next step still applies');
      const now = await onlyAlert(service, 'upstream_unreachable');
      assert.deepEqual([now.escalations, now.severity], [2, 'critical']);
      assert.equal((await notificationsOf(service, opened.alert.id)).escalated, 3 * CHANNELS);
    });

    it('opens anew when the open alert it lost to is resolved before it could read it', async () => {
      const draft = upstreamUnreachableDraft('isp', 'list');
      const first = await service.db.transaction((trx) => service.stores.alerts.open(draft, BOTH, new Date(), trx));
      const racing = new ResolvedMeanwhileStore(service.db, new KnexAlertNotificationStore(service.db));
      const second = await service.db.transaction((trx) => racing.open(draft, BOTH, new Date(), trx));
      assert.equal(second.opened, true);
      assert.notEqual(second.alert.id, first.alert.id);
      assert.equal((await onlyAlert(service, 'upstream_unreachable', 'resolved')).id, first.alert.id);
      assert.equal((await onlyAlert(service, 'upstream_unreachable')).id, second.alert.id);
      assert.deepEqual(await notificationsOf(service, second.alert.id), { opened: CHANNELS });
    });
  });

  describe('an alert book that fails inside the outcome transaction', () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('undoes only its own writes: the outcome, the binding and the license returned to the pool commit', async () => {
      h = await startHarness({ role: 'api', config: { alerts: alertsWithChannels() } });
      const { service } = h;
      const failing = new FailingAlertStore(service.db, new KnexAlertNotificationStore(service.db));
      const book = new AlertBook({
        db: service.db,
        ...service.stores,
        alerts: failing,
        config: service.config.alerts,
        logger: pino({ level: 'silent' }),
        now: () => new Date(),
      });
      const runner = new OperationRunner(lifecycleDepsFor(service, undefined, { alertBook: book }), {
        callbackDue: false,
      });
      const run = async (operationId: string) => {
        await runner.run(operationId);
        await book.idle();
        return (await service.stores.operations.get(operationId))!;
      };
      const runHook = async (event: string, facts: Record<string, unknown>) =>
        run((await h.hook(event, facts)).body.operationId);

      const previous = await runHook('open', openFacts('vps-old'));
      assert.equal(previous.status, 'succeeded');
      assert.equal((await runHook('close', { id: 'vps-old' })).status, 'succeeded');
      const pooled = (await service.database.db('licenses').where({ state: 'pooled' }))[0];
      assert.ok(pooled, 'the closed service left its license in the pool');

      // The reuse of the pooled license is refused: the operation fails and the license goes back to the pool,
      // while the book's `operation_failed` opening fails with an SQL error in the same transaction.
      h.sandbox.armFault({ kind: 'error', type: 'access', message: 'refused', func: 'soft.edit', times: Infinity });
      const failed = await runHook('open', openFacts('vps-new'));
      assert.equal(failed.status, 'failed', JSON.stringify(failed.error));
      assert.equal((await service.database.db('licenses').where({ id: pooled.id }).first()).state, 'pooled');
      const audit = await service.stores.audit.listFor('operation', failed.id);
      assert.ok(audit.some((row) => row.action === 'operation.open.failed'));
      assert.deepEqual(await listAlerts(service), [], "the book's insert was undone with its savepoint");
      assert.equal(Number((await service.database.db('alert_notifications').count({ n: '*' }))[0]!.n), 0);

      // The retry succeeds while the book's resolution of the alert fails: the binding commits all the same.
      const alert = await service.db.transaction((trx) =>
        service.stores.alerts.open(operationFailedDraft(failed, failed.error), BOTH, new Date(), trx),
      );
      h.sandbox.clearFaults();
      await service.stores.operations.retry(failed.id, new Date());
      assert.equal((await run(failed.id)).status, 'succeeded');
      const bound = (await service.stores.licenses.findByService('vps-new'))!;
      assert.deepEqual([bound.id, bound.state], [pooled.id, 'bound']);
      assert.equal((await service.stores.services.get('vps-new'))?.status, 'active');
      assert.equal((await onlyAlert(service, 'operation_failed')).id, alert.alert.id, 'its resolution was undone');
      assert.deepEqual(await notificationsOf(service, alert.alert.id), { opened: CHANNELS });
    });
  });
});
