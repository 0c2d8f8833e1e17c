import assert from 'node:assert/strict';
import { runMaintenanceSweep } from '../../src/queue/maintenance';
import { DAY_MS, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';

/**
 * The scheduler's sweep (`runMaintenanceSweep`), called directly with LifecycleDeps built like src/service.ts
 * builds them, against the harness's database; the `renew` operations it queues are run by the harness's worker.
 *
 * Time: a license ordered now for 12 months lapses in a year. Instead of faking a near expiry in the local row
 * (which would then disagree with the upstream, and make the worker renew a license the upstream says is paid),
 * the tests keep local and upstream expiry dates as they really are and move "now" forward: the sandbox clock is
 * set to just before the license lapses, and the sweep is given that same clock. Both sides then agree the license
 * lapses within `renewalLeadDays` (3). The worker that runs the queued operation keeps the real clock; the renewal
 * decision it makes (renew until the service's paid-until date is covered) does not depend on now.
 */
describe('maintenance sweep: scheduled renewals and pool expiry', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** The sweep as the scheduler would run it at the sandbox clock's time. */
  const sweepAtSandboxTime = () => runMaintenanceSweep(lifecycleDepsFor(h.service, () => h.sandbox.clock.now()));

  async function open(serviceId: string, overrides: Record<string, unknown> = {}) {
    const op = await h.run('open', openFacts(serviceId, overrides));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    return op;
  }

  async function localLicense(upstreamId: string) {
    const row = await h.service.database.db('licenses').where({ upstream_id: upstreamId }).first();
    assert.ok(row, `license ${upstreamId} is known locally`);
    return row as { id: string; state: string; paid_until: string; service_id: string | null };
  }

  /** The service paid further than its license: what a provider sees when a VPS was paid ahead of its license. */
  async function servicePaidUntil(serviceId: string, days: number) {
    await h.service.database
      .db('services')
      .where({ id: serviceId })
      .update({ paid_until: paidUntilIn(days) });
  }

  async function renewOperations(serviceId: string) {
    return (await h.service.database
      .db('operations')
      .where({ service_id: serviceId, event: 'renew' })
      .select('id', 'status')) as Array<{ id: string; status: string }>;
  }

  /** Renewals the sandbox carried out (a call refused for an expired session, then repeated, counts once). */
  const prolongsOf = (upstreamId: string) =>
    h.sandbox.calls().filter((c) => c.func === 'service.prolong' && c.params.elid === upstreamId && c.outcome === 'ok');

  it('renews the license of an active service paid further, once however often the sweep runs', async () => {
    const opened = await open('vps-renew');
    const upstreamId = opened.result.upstreamId as string;
    const paidUntil = new Date((await localLicense(upstreamId)).paid_until);
    assert.equal(
      paidUntil.toISOString(),
      opened.result.paidUntil,
      'local expiry is the upstream one (a 12-month license)',
    );
    await servicePaidUntil('vps-renew', 500);

    // Not due yet: today, and 4 days before it lapses (outside the 3-day lead).
    assert.deepEqual(await runMaintenanceSweep(lifecycleDepsFor(h.service)), { renewals: 0, expired: 0 });
    h.sandbox.clock.set(new Date(paidUntil.getTime() - 4 * DAY_MS));
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    assert.equal((await renewOperations('vps-renew')).length, 0);

    // One day before it lapses: due. A second sweep right after queues nothing more.
    h.sandbox.clock.set(new Date(paidUntil.getTime() - DAY_MS));
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 1, expired: 0 });
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    const renewals = await renewOperations('vps-renew');
    assert.equal(renewals.length, 1, 'one renew operation queued');

    h.service.relay.nudge();
    const renew = await h.settled(renewals[0]!.id);
    assert.equal(renew.status, 'succeeded', JSON.stringify(renew.error));
    assert.equal(renew.event, 'renew');
    assert.equal(prolongsOf(upstreamId).length, 1, 'renewed upstream once');
    assert.equal(prolongsOf(upstreamId)[0]!.params.period, '12', 'by the compared period (1 → 12)');
    const upstream = h.sandbox.licenses().find((l) => l.id === upstreamId)!;
    const renewed = await localLicense(upstreamId);
    assert.equal(renewed.state, 'bound');
    assert.equal(renewed.paid_until, `${upstream.expiredate}T23:59:59.999Z`, 'local expiry follows the upstream');
    assert.ok(new Date(renewed.paid_until) >= new Date(paidUntilIn(500)), 'paid through the service paid-until');

    // Covered now: later sweeps leave it alone.
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    assert.equal((await renewOperations('vps-renew')).length, 1);
    await h.assertInvariants();
  });

  it('does not renew the license of a suspended or closed service', async () => {
    const active = await open('vps-on');
    const suspended = await open('vps-held');
    const closed = await open('vps-gone');
    assert.equal((await h.run('suspend', { id: 'vps-held' })).status, 'succeeded');
    assert.equal((await h.run('close', { id: 'vps-gone' })).status, 'succeeded');
    assert.equal((await localLicense(closed.result.upstreamId)).state, 'pooled', 'the closed one went to the pool');
    for (const id of ['vps-on', 'vps-held', 'vps-gone']) await servicePaidUntil(id, 500);

    const upstreamIds = [active, suspended, closed].map((op) => op.result.upstreamId as string);
    const expiries = await Promise.all(upstreamIds.map(async (id) => new Date((await localLicense(id)).paid_until)));
    const soonest = Math.min(...expiries.map((d) => d.getTime()));
    h.sandbox.clock.set(new Date(soonest - DAY_MS));

    // All three lapse within the lead; only the active service's license is due.
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 1, expired: 0 });
    assert.equal((await renewOperations('vps-held')).length, 0, 'suspended: no renewal queued');
    assert.equal((await renewOperations('vps-gone')).length, 0, 'closed: no renewal queued');
    const [renewal] = await renewOperations('vps-on');
    assert.ok(renewal, 'the active control service got its renewal');
    h.service.relay.nudge();
    assert.equal((await h.settled(renewal.id)).status, 'succeeded');

    assert.equal(prolongsOf(upstreamIds[0]!).length, 1, 'the active one was renewed');
    assert.equal(prolongsOf(upstreamIds[1]!).length, 0, 'the suspended one was not');
    assert.equal(prolongsOf(upstreamIds[2]!).length, 0, 'the closed (pooled) one was not');
    assert.equal((await localLicense(upstreamIds[1]!)).state, 'bound');
    assert.equal((await localLicense(upstreamIds[2]!)).state, 'pooled');
    // The state is the same the day after: the sweep still queues nothing for them.
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    await h.assertInvariants();
  });

  it('never renews a pooled license, and takes it out of the pool once its paid time has passed', async () => {
    const opened = await open('vps-pool');
    const upstreamId = opened.result.upstreamId as string;
    assert.equal((await h.run('close', { id: 'vps-pool' })).status, 'succeeded');
    const pooled = await localLicense(upstreamId);
    assert.equal(pooled.state, 'pooled');
    assert.equal(pooled.service_id, null);
    const paidUntil = new Date(pooled.paid_until);

    // About to lapse: a bound license would be renewed here; a pooled one is not, and it is still in the pool.
    h.sandbox.clock.set(new Date(paidUntil.getTime() - DAY_MS));
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    assert.equal((await localLicense(upstreamId)).state, 'pooled');

    // Lapsed (upstream too: the sandbox now reports it unpaid): it leaves the pool, with an audit entry.
    h.sandbox.clock.set(new Date(paidUntil.getTime() + DAY_MS));
    assert.equal(
      h.sandbox.licenses().find((l) => l.id === upstreamId)!.status,
      3,
      'suspended upstream for non-payment',
    );
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 1 });
    const expired = await localLicense(upstreamId);
    assert.equal(expired.state, 'expired');
    const audit = await h.service.stores.audit.listFor('license', expired.id);
    const entries = audit.filter((e) => e.action === 'license.expired');
    assert.equal(entries.length, 1, JSON.stringify(audit));
    assert.equal(entries[0]!.actor, 'scheduler');
    const pool = (await h.service.request('GET', '/v1/admin/pool')).body.items as Array<{ pooled: number }>;
    assert.equal(
      pool.reduce((n, p) => n + p.pooled, 0),
      0,
      'the pool is empty',
    );

    // Sweeping again changes nothing and writes no second audit entry.
    assert.deepEqual(await sweepAtSandboxTime(), { renewals: 0, expired: 0 });
    assert.equal(
      (await h.service.stores.audit.listFor('license', expired.id)).filter((e) => e.action === 'license.expired')
        .length,
      1,
    );
    assert.equal(prolongsOf(upstreamId).length, 0, 'a pooled license is never renewed');
    assert.equal((await renewOperations('vps-pool')).length, 0);
  });
});
