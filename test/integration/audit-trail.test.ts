import assert from 'node:assert/strict';
import { DAY_MS, openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { TEST_PLATFORM_TOKEN, TEST_VIEWER_TOKEN } from '../helpers/service';

interface AuditItem {
  id: string;
  at: string;
  actor: string;
  action: string;
  licenseId: string | null;
  serviceId: string | null;
  operationId: string | null;
  details: Record<string, unknown> | null;
}

/** CONTRACT.md "Audit trail": every license move leaves its row, readable through `GET /v1/admin/audit`. */
describe('audit trail of license moves', function () {
  this.timeout(120_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Every row the filter matches, oldest first, read page by page. */
  const trail = async (query: string, limit = 3): Promise<AuditItem[]> => {
    const items: AuditItem[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: AuditItem[]; nextCursor: string | null } } = await h.service.request(
        'GET',
        `/v1/admin/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items.reverse();
  };
  const licenseMoves = (items: AuditItem[]) => items.filter((i) => i.action.startsWith('license.'));

  it("the seed's worked example leaves a row for each move, in order, by service and by license", async () => {
    const start = Date.now();
    const month = (n: number) => new Date(start + n * 30 * DAY_MS).toISOString();
    const opened = await h.run('open', openFacts('client-a', { period: 1, paidUntil: month(1) }));
    const prolongs = [
      await h.run('prolong', { id: 'client-a', paidUntil: month(2), period: 1 }),
      await h.run('prolong', { id: 'client-a', paidUntil: month(3), period: 1 }),
    ];
    const closed = await h.run('close', { id: 'client-a' });
    const reused = await h.run('open', openFacts('client-b', { ip: '198.51.100.20', period: 1, paidUntil: month(1) }));
    assert.equal(reused.result.source, 'pool', JSON.stringify(reused));
    const licenseId: string = opened.result.licenseId;
    assert.equal(reused.result.licenseId, licenseId);

    const byLicense = licenseMoves(await trail(`licenseId=${licenseId}`));
    assert.deepEqual(
      byLicense.map((i) => [i.action, i.serviceId, i.operationId, i.actor]),
      [
        ['license.ordered', 'client-a', opened.id, 'worker'],
        ['license.bound', 'client-a', opened.id, 'worker'],
        // The two prolongs need no renewal: no row. Released to the pool: suspended there, then pooled.
        ['license.suspended', 'client-a', closed.id, 'worker'],
        ['license.pooled', 'client-a', closed.id, 'worker'],
        ['license.claimed', 'client-b', reused.id, 'worker'],
        ['license.ip_changed', 'client-b', reused.id, 'worker'],
        ['license.key_regenerated', 'client-b', reused.id, 'worker'],
        ['license.resumed', 'client-b', reused.id, 'worker'],
        ['license.bound', 'client-b', reused.id, 'worker'],
      ],
    );
    assert.ok(byLicense.every((i) => i.licenseId === licenseId));
    assert.deepEqual(byLicense[5]!.details, { from: openFacts('client-a').ip, to: '198.51.100.20' });
    assert.ok(!JSON.stringify(byLicense).includes((await licenseOf('client-b')).activationKey), 'no key in the trail');

    const clientA = await trail('serviceId=client-a');
    assert.deepEqual(
      licenseMoves(clientA).map((i) => i.action),
      ['license.ordered', 'license.bound', 'license.suspended', 'license.pooled'],
    );
    for (const prolong of prolongs) {
      const rows = await trail(`operationId=${prolong.id}`);
      assert.deepEqual(
        rows.map((i) => i.action),
        ['operation.prolong.succeeded'],
        'a prolong that needs no renewal moves nothing',
      );
    }
    assert.deepEqual(
      licenseMoves(await trail('serviceId=client-b')).map((i) => i.action),
      ['license.claimed', 'license.ip_changed', 'license.key_regenerated', 'license.resumed', 'license.bound'],
    );
  });

  it('a renewal leaves license.renewed with its period and the new paid-until', async () => {
    const opened = await h.run('open', openFacts('renewed', { period: 1 }));
    const paidUntil = new Date(Date.now() + 400 * DAY_MS).toISOString();
    const prolonged = await h.run('prolong', { id: 'renewed', paidUntil, period: 1 });
    assert.equal(prolonged.status, 'succeeded', JSON.stringify(prolonged.error));
    const renewals = (await trail(`licenseId=${opened.result.licenseId}`)).filter(
      (i) => i.action === 'license.renewed',
    );
    assert.equal(renewals.length, 1, 'one renewal of 12 months covers 400 days from a 12-month order');
    const [renewal] = renewals;
    assert.equal(renewal!.operationId, prolonged.id);
    assert.equal(renewal!.serviceId, 'renewed');
    assert.equal(renewal!.details!.period, 12);
    assert.equal(renewal!.details!.cost, null);
    assert.ok(String(renewal!.details!.paidUntil) > String(renewal!.details!.paidUntilBefore));
    assert.ok(new Date(String(renewal!.details!.paidUntil)) >= new Date(paidUntil));
  });

  async function licenseOf(serviceId: string) {
    return (await h.service.request('GET', `/v1/services/${serviceId}`)).body.license;
  }
});

describe('audit trail: paging, filters and access', function () {
  this.timeout(60_000);
  let h: Harness;
  const record = (actor: string, at: string, ids: { licenseId?: string; serviceId?: string; operationId?: string }) =>
    h.service.stores.audit.record(
      { actor, action: 'test.row', subjectType: 'service', subjectId: ids.serviceId ?? 'none', ...ids },
      new Date(at),
    );

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('pages newest first with a cursor that neither repeats nor skips rows written meanwhile', async () => {
    for (let i = 0; i < 5; i++) await record('worker', `2026-01-0${i + 1}T00:00:00Z`, { serviceId: 'paged' });
    const first = await h.service.request('GET', '/v1/admin/audit?serviceId=paged&limit=2');
    assert.deepEqual(
      first.body.items.map((i: AuditItem) => i.at),
      ['2026-01-05T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
    );
    await record('worker', '2026-02-01T00:00:00Z', { serviceId: 'paged' });
    const second = await h.service.request(
      'GET',
      `/v1/admin/audit?serviceId=paged&limit=2&cursor=${first.body.nextCursor}`,
    );
    assert.deepEqual(
      second.body.items.map((i: AuditItem) => i.at),
      ['2026-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
    );
    const third = await h.service.request(
      'GET',
      `/v1/admin/audit?serviceId=paged&limit=2&cursor=${second.body.nextCursor}`,
    );
    assert.deepEqual(
      third.body.items.map((i: AuditItem) => i.at),
      ['2026-01-01T00:00:00.000Z'],
    );
    assert.equal(third.body.nextCursor, null);
  });

  it('filters by license, service, operation, actor and time; an admin write names its operation', async () => {
    await record('worker', '2026-03-01T00:00:00Z', { licenseId: 'L-1', serviceId: 'vps-1', operationId: 'op-1' });
    await record('scheduler', '2026-03-02T00:00:00Z', { licenseId: 'L-1' });
    await record('reconciler', '2026-03-03T00:00:00Z', { licenseId: 'L-2', serviceId: 'vps-2' });
    const actions = async (query: string) =>
      (await h.service.request('GET', `/v1/admin/audit?${query}`)).body.items.map((i: AuditItem) => i.actor);
    assert.deepEqual(await actions('licenseId=L-1'), ['scheduler', 'worker']);
    assert.deepEqual(await actions('serviceId=vps-2'), ['reconciler']);
    assert.deepEqual(await actions('operationId=op-1'), ['worker']);
    assert.deepEqual(await actions('licenseId=L-1&actor=scheduler'), ['scheduler']);
    assert.deepEqual(
      await actions('since=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z'),
      ['scheduler'],
      'since inclusive, until exclusive',
    );

    // An admin write's subject fills the column it names: a retry's operation (and its service).
    await h.service.stores.audit.record(
      { actor: 'admin', action: 'admin.operation.retry', subjectType: 'operation', subjectId: 'op-9' },
      new Date(),
    );
    const [retry] = (await h.service.request('GET', '/v1/admin/audit?operationId=op-9')).body.items;
    assert.equal(retry.action, 'admin.operation.retry');
    assert.equal(retry.actor, 'admin');
  });

  it('an admin write is readable by its token name; viewer reads, platform is refused; bad filters are 400', async () => {
    const put = await h.service.request('PUT', '/v1/admin/enumerations/extra', {
      body: { name: 'Extra', values: [{ key: 'none', name: 'None', internalName: 'nopanel' }] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const asViewer = await h.service.request('GET', '/v1/admin/audit?actor=admin', { token: TEST_VIEWER_TOKEN });
    assert.equal(asViewer.status, 200);
    assert.deepEqual(
      asViewer.body.items.map((i: AuditItem) => i.action),
      ['admin.enumeration.put'],
    );
    assert.equal((await h.service.request('GET', '/v1/admin/audit', { token: TEST_PLATFORM_TOKEN })).status, 403);
    for (const bad of [
      'since=yesterday',
      'until=2026-13-01',
      'limit=0',
      'limit=1001',
      'cursor=%21%21',
      'cursor=YWJj',
    ]) {
      const answer = await h.service.request('GET', `/v1/admin/audit?${bad}`);
      assert.equal(answer.status, 400, `${bad}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'invalid_input');
    }
  });
});
