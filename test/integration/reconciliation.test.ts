import assert from 'node:assert/strict';
import { DAY_MS, fastWorkerSettings, openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { deleteRedisKeysWithPrefix, uniqueRedisName } from '../helpers/redis';

/** The calls a reconciliation may make: it logs in and lists, nothing else. */
const READ_CALLS = new Set(['auth', 'soft']);

/** CONTRACT.md "Reconciliation and adoption": drift of each kind, cleared once fixed, and only reads upstream. */
describe('reconciliation: drift between the upstream account and the service', function () {
  this.timeout(90_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Asks for a run and waits for it to end; returns the run. */
  const reconcile = async () => {
    const answer = await h.service.request('POST', '/v1/admin/licensing-servers/isp/reconcile');
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const runId = answer.body.runId as string;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const run = await h.service.stores.drift.getRun(runId);
      if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
      assert.ok(Date.now() < deadline, `run ${runId} still ${run?.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const drift = async () => {
    const answer = await h.service.request('GET', '/v1/admin/drift?licensingServer=isp');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as { items: Array<Record<string, unknown>>; checkedAt: Record<string, string> };
  };
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it('does not overwrite a license changed after the list was read (a renewal read back meanwhile) with the older list', async () => {
    const open = await h.run(
      'open',
      openFacts('fresh', { paidUntil: new Date(Date.now() + 30 * DAY_MS).toISOString() }),
    );
    assert.equal(open.status, 'succeeded', JSON.stringify(open.error));
    const before = (await h.service.stores.licenses.get(open.result.licenseId))!.paidUntil!.toISOString();
    h.sandbox.editLicense(open.result.upstreamId, { expiredate: day(h.sandbox.clock.now().getTime() + 5 * DAY_MS) });
    // As if an operation wrote the row after this run read the upstream list: the run must leave it alone.
    const later = new Date(Date.now() + 60_000).toISOString();
    await h.service.database.db('licenses').where({ id: open.result.licenseId }).update({ updated_at: later });
    assert.equal((await reconcile()).status, 'succeeded');
    assert.equal((await h.service.stores.licenses.get(open.result.licenseId))!.paidUntil!.toISOString(), before);
    assert.deepEqual((await drift()).items, [], 'a license not judged yields no drift');

    // Once the row is older than the list, the next run judges it and takes the upstream's date.
    const earlier = new Date(Date.now() - 60_000).toISOString();
    await h.service.database.db('licenses').where({ id: open.result.licenseId }).update({ updated_at: earlier });
    assert.equal((await reconcile()).status, 'succeeded');
    assert.notEqual((await h.service.stores.licenses.get(open.result.licenseId))!.paidUntil!.toISOString(), before);
  });

  it('finds a license made by hand, one deleted, an expiry and an IP changed upstream; syncs dates; only reads', async () => {
    const kept = await h.run(
      'open',
      openFacts('kept', { paidUntil: new Date(Date.now() + 30 * DAY_MS).toISOString() }),
    );
    const gone = await h.run('open', openFacts('gone'));
    assert.equal(kept.status, 'succeeded', JSON.stringify(kept.error));
    assert.equal(gone.status, 'succeeded', JSON.stringify(gone.error));
    const keptIp = h.sandbox.licenses().find((l) => l.id === kept.result.upstreamId)!.ip;
    const byHand = h.sandbox.createLicense({ pricelist: '3541', ip: '198.51.100.7', licname: 'by hand' });
    h.sandbox.deleteLicense(gone.result.upstreamId);
    const shortExpiry = day(h.sandbox.clock.now().getTime() + 5 * DAY_MS);
    h.sandbox.editLicense(kept.result.upstreamId, { ip: '198.51.100.99', expiredate: shortExpiry });
    const callsBefore = h.sandbox.calls().length;

    assert.equal((await reconcile()).status, 'succeeded');
    const first = await drift();
    const found = first.items.map((i) => [i.kind, i.field ?? null, i.upstreamId]).sort();
    assert.deepEqual(
      found,
      [
        ['mismatch', 'ip', kept.result.upstreamId],
        ['mismatch', 'paidUntil', kept.result.upstreamId],
        ['missing_upstream', null, gone.result.upstreamId],
        ['unknown_upstream', null, byHand.id],
      ].sort(),
    );
    const ip = first.items.find((i) => i.field === 'ip')!;
    assert.deepEqual([ip.local, ip.upstream, ip.licenseId], [keptIp, '198.51.100.99', kept.result.licenseId]);
    assert.equal(first.items.find((i) => i.kind === 'unknown_upstream')!.licenseId, null);
    assert.ok(first.checkedAt.isp, 'checkedAt names the server');

    // Dates and statuses are taken from the upstream at once, audited; a deleted license stays where it was.
    const keptNow = await h.service.stores.licenses.get(kept.result.licenseId);
    assert.equal(keptNow!.paidUntil!.toISOString().slice(0, 10), shortExpiry);
    assert.equal(keptNow!.ip, keptIp, 'an IP is reported, not taken');
    const goneNow = await h.service.stores.licenses.get(gone.result.licenseId);
    assert.deepEqual([goneNow!.status, goneNow!.state, goneNow!.serviceId], ['deleted', 'bound', 'gone']);
    const audit = await h.service.request('GET', `/v1/admin/audit?licenseId=${kept.result.licenseId}&actor=reconciler`);
    assert.deepEqual(
      audit.body.items.map((row: { action: string }) => row.action),
      ['license.synced'],
    );

    const calls = h.sandbox.calls().slice(callsBefore);
    assert.ok(calls.length > 0);
    assert.deepEqual(
      calls.filter((c) => !READ_CALLS.has(c.func)).map((c) => c.func),
      [],
      'a reconciliation only reads upstream',
    );

    // Fixed upstream: the IP item goes; the others stay with their ids and first detection time.
    h.sandbox.editLicense(kept.result.upstreamId, { ip: keptIp });
    assert.equal((await reconcile()).status, 'succeeded');
    const second = await drift();
    assert.deepEqual(
      second.items.map((i) => i.id).sort(),
      first.items
        .filter((i) => i.field !== 'ip')
        .map((i) => i.id)
        .sort(),
    );
    const kinds = await h.service.request('GET', '/v1/admin/drift?kind=unknown_upstream');
    assert.deepEqual(
      kinds.body.items.map((i: { upstreamId: string }) => i.upstreamId),
      [byHand.id],
    );
  });

  it('does not report a license whose order is in flight (paid upstream, its reply not back yet)', async () => {
    // A harness of its own: an order whose reply is lost is looked up only after 5 s, a wide window for the run.
    await h.close();
    const queueName = uniqueRedisName('ops');
    const settings = fastWorkerSettings(queueName);
    h = await startHarness({ config: { ...settings, worker: { ...settings.worker, reconcileDelayMs: 5000 } } });
    try {
      h.sandbox.armFault({ kind: 'performThenDrop', func: 'soft.order.param' });
      const answer = await h.hook('open', openFacts('in-flight'));
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      const deadline = Date.now() + 10_000;
      while (!h.sandbox.licenses().some((l) => l.remoteid.startsWith(answer.body.operationId))) {
        assert.ok(Date.now() < deadline, 'the order reaches the sandbox');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await reconcile()).status, 'succeeded');
      const upstreamId = h.sandbox.licenses().find((l) => l.remoteid.startsWith(answer.body.operationId))!.id;
      assert.equal(await h.service.stores.licenses.findByUpstream('isp', upstreamId), null, 'not recorded yet');
      assert.deepEqual((await drift()).items, [], 'an order in flight is not drift');
      const opened = await h.settled(answer.body.operationId);
      assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
      assert.equal(opened.result.upstreamId, upstreamId, 'the lost reply was found by its reference, not reordered');
    } finally {
      await deleteRedisKeysWithPrefix(`bull:${queueName}`);
    }
  });

  it('keeps the previous drift, and records the failure, when the list cannot be read', async () => {
    const byHand = h.sandbox.createLicense({ pricelist: '3541' });
    assert.equal((await reconcile()).status, 'succeeded');
    const before = await drift();
    assert.deepEqual(
      before.items.map((i) => i.upstreamId),
      [byHand.id],
    );

    h.sandbox.armFault({ kind: 'http', status: 503, func: 'soft', times: Infinity });
    h.sandbox.deleteLicense(byHand.id);
    const failed = await reconcile();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errorCode, 'upstream_unavailable');
    assert.deepEqual(await drift(), before, 'the previous drift and checkedAt stay');
    const [lastFailure] = await h.service.stores.drift.lastFailures();
    assert.deepEqual([lastFailure!.licensingServer, lastFailure!.id], ['isp', failed.id]);

    h.sandbox.clearFaults();
    assert.equal((await reconcile()).status, 'succeeded');
    assert.deepEqual((await drift()).items, [], 'a run that reads the list replaces the drift');
    assert.deepEqual(await h.service.stores.drift.lastFailures(), []);
  });
});
