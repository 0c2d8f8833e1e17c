import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { pooledLicense } from '../helpers/secrets';

/** CONTRACT.md "Licenses by hand": the admin list also filters by `id` and `period` and shows `period`, `source`, `createdAt`. */
describe('admin license list: id and period filters, period, source and createdAt', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const list = async (query: string) => {
    const answer = await h.service.request('GET', `/v1/admin/licenses?${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.items as Array<Record<string, unknown>>;
  };

  it('finds a license by our id or the upstream id, and by the period it was ordered for', async () => {
    const before = new Date().toISOString();
    const opened = await h.run('open', openFacts('listed', { period: 1 }));
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
    await h.service.stores.licenses.adopted(pooledLicense('adopted-1', null), { actor: 'admin', at: new Date() });

    const [ours] = await list(`id=${opened.result.licenseId}`);
    assert.equal(ours!.upstreamId, opened.result.upstreamId);
    assert.equal(ours!.period, 12, 'the seed rule 1 → 12 ordered a yearly license');
    assert.equal(ours!.source, 'order');
    assert.ok(String(ours!.createdAt) >= before);
    assert.deepEqual(
      (await list(`id=${opened.result.upstreamId}`)).map((l) => l.id),
      [opened.result.licenseId],
    );
    assert.deepEqual(await list('id=no-such-license'), []);

    const [adopted] = await list('id=up-adopted-1');
    assert.equal(adopted!.source, 'adopted');
    assert.deepEqual((await list('period=12')).map((l) => l.id).sort(), ['adopted-1', opened.result.licenseId].sort());
    assert.deepEqual(await list('period=1'), []);
    assert.deepEqual(await list('period=lifetime'), []);

    for (const bad of ['period=0', 'period=monthly', 'period=1.5']) {
      const answer = await h.service.request('GET', `/v1/admin/licenses?${bad}`);
      assert.equal(answer.status, 400, bad);
    }
  });
});
