import assert from 'node:assert/strict';
import { pruneExpiredRecords } from '../../src/queue/maintenance';
import { DAY_MS, openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';

const RETENTION = { hookEventsDays: 90, auditDays: 3650 };

/** The retention part of the maintenance sweep (`pruneExpiredRecords`), on the harness's database. */
describe('retention: the sweep prunes old hook events, callback records and audit rows', function () {
  this.timeout(40_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const db = () => h.service.database.db;
  const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

  async function run(event: string, facts: Record<string, unknown>, eventId: string) {
    const answer = await h.hook(event, facts, { eventId });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const op = await h.settled(answer.body.operationId);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    return op as { id: string };
  }

  /** As if the operation finished `days` ago, its callback delivered then. */
  async function finishedDaysAgo(operationId: string, days: number) {
    await db()('operations')
      .where({ id: operationId })
      .update({ finished_at: daysAgo(days), callback_state: 'delivered', callback_attempts: 1 });
  }

  const hookEvent = async (eventId: string) => db()('hook_events').where({ event_id: eventId }).first();
  const orders = () => h.sandbox.calls().filter((c) => c.func === 'soft.order.param' && c.outcome === 'ok').length;

  it('prunes hook events finished long ago, keeps recent ones and the last of each service', async () => {
    const old = await run('open', openFacts('vps-ret-1'), 'evt-ret-old');
    const recent = await run('suspend', { id: 'vps-ret-1' }, 'evt-ret-recent');
    const lonely = await run('open', openFacts('vps-ret-2'), 'evt-ret-lonely');
    await finishedDaysAgo(old.id, 91);
    await finishedDaysAgo(recent.id, 10);
    await finishedDaysAgo(lonely.id, 200);
    await db()('audit_log').insert([
      { at: daysAgo(3651), actor: 'worker', action: 'test.ancient', subject_type: 'operation', subject_id: 'x' },
      { at: daysAgo(3000), actor: 'worker', action: 'test.old', subject_type: 'operation', subject_id: 'x' },
    ]);

    const pruned = await pruneExpiredRecords(lifecycleDepsFor(h.service), RETENTION);
    assert.deepEqual(pruned, { hookEvents: 1, callbacks: 2, alertNotifications: 0, audit: 1 });

    assert.equal(await hookEvent('evt-ret-old'), undefined, 'a hook event finished 91 days ago is pruned');
    assert.ok(await hookEvent('evt-ret-recent'), 'a recent hook event is kept');
    assert.ok(await hookEvent('evt-ret-lonely'), 'the last operation of a service keeps its hook event');
    const kept = await db()('operations').whereIn('id', [old.id, recent.id, lonely.id]).select('id', 'callback_state');
    assert.equal(kept.length, 3, 'operation rows are never pruned');
    assert.deepEqual(
      Object.fromEntries(kept.map((r: { id: string; callback_state: string | null }) => [r.id, r.callback_state])),
      { [old.id]: null, [recent.id]: 'delivered', [lonely.id]: null },
      'delivered callback records older than the retention are forgotten',
    );
    const actions = (await db()('audit_log').select('action')).map((r: { action: string }) => r.action);
    assert.ok(!actions.includes('test.ancient'), 'audit rows past auditDays are pruned');
    assert.ok(actions.includes('test.old'), 'younger audit rows stay');

    // A second sweep finds nothing more.
    assert.deepEqual(await pruneExpiredRecords(lifecycleDepsFor(h.service), RETENTION), {
      hookEvents: 0,
      callbacks: 0,
      alertNotifications: 0,
      audit: 0,
    });
  });

  it('a pruned eventId sent again orders nothing: the service keeps the license it holds', async () => {
    const facts = openFacts('vps-ret-3');
    const opened = await run('open', facts, 'evt-ret-replayed');
    await run('resume', { id: 'vps-ret-3' }, 'evt-ret-later');
    await finishedDaysAgo(opened.id, 120);
    await pruneExpiredRecords(lifecycleDepsFor(h.service), RETENTION);
    assert.equal(await hookEvent('evt-ret-replayed'), undefined);

    const ordersBefore = orders();
    const replayed = await run('open', facts, 'evt-ret-replayed');
    assert.notEqual(replayed.id, opened.id, 'a new operation');
    assert.equal(orders(), ordersBefore, 'nothing ordered again');
    const licenses = await db()('licenses').where({ service_id: 'vps-ret-3' });
    assert.equal(licenses.length, 1);
  });
});
