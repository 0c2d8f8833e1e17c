import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../helpers/service';

const server = {
  module: 'billmanager',
  url: 'https://licenses.example.net/billmgr',
  username: 'reseller',
  password: 'top-secret-password',
  settings: { periodCodes: { lifetime: -100 } },
};
const enumeration = {
  name: 'Server control panel',
  values: [
    { key: 'nopanel', name: 'Without control panel', internalName: 'nopanel' },
    { key: 'isp-lite', name: 'ISPmanager Lite', internalName: '3541' },
    { key: 'isp-business', name: 'ISPmanager Business', internalName: '4601', periods: [1, 12] },
  ],
};
const plan = {
  name: 'VPS monthly',
  productType: 'vds',
  licensingServer: 'isp',
  enumeration: 'panels',
  defaultValue: 'isp-lite',
};

describe('admin catalog API', () => {
  let service: TestService;

  beforeEach(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await service.close();
  });

  async function putCatalog() {
    assert.equal((await service.request('PUT', '/v1/admin/licensing-servers/isp', { body: server })).status, 200);
    assert.equal((await service.request('PUT', '/v1/admin/enumerations/panels', { body: enumeration })).status, 200);
    assert.equal((await service.request('PUT', '/v1/admin/tariff-plans/vps-monthly', { body: plan })).status, 200);
  }

  it('answers 401 without a valid bearer token, on every admin path', async () => {
    for (const path of [
      '/v1/admin/licensing-servers',
      '/v1/admin/enumerations',
      '/v1/admin/tariff-plans',
      '/v1/admin/period-comparisons',
    ]) {
      const none = await service.request('GET', path, { token: null });
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.equal((await service.request('GET', path, { token: 'wrong-token-wrong-token' })).status, 401);
    }
    assert.equal(
      (await service.request('PUT', '/v1/admin/licensing-servers/isp', { body: server, token: null })).status,
      401,
    );
    assert.deepEqual((await service.request('GET', '/v1/admin/licensing-servers')).body, { items: [] });
  });

  it('stores a licensing server with its password encrypted, and never returns the password', async () => {
    const put = await service.request('PUT', '/v1/admin/licensing-servers/isp', { body: server });
    assert.equal(put.status, 200);
    assert.equal(put.body.key, 'isp');
    assert.equal(put.body.password, undefined);
    assert.deepEqual(put.body.settings.periodCodes, { lifetime: -100 });
    const got = await service.request('GET', '/v1/admin/licensing-servers/isp');
    assert.equal(JSON.stringify(got.body).includes(server.password), false);
    const listed = await service.request('GET', '/v1/admin/licensing-servers');
    assert.equal(listed.body.items.length, 1);
    assert.equal(JSON.stringify(listed.body).includes(server.password), false);
    const row = await service.database.db('licensing_servers').where({ key: 'isp' }).first();
    assert.equal(JSON.stringify(row).includes(server.password), false);
    assert.match(row.password_encrypted, /^v2:[0-9a-f]{8}:/);
  });

  it('rejects bad licensing-server input with the contract error shape and changes nothing', async () => {
    const missing = await service.request('PUT', '/v1/admin/licensing-servers/isp', {
      body: { ...server, url: undefined },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'invalid_input');
    assert.ok(missing.body.error.message.includes('url'), 'the message names the field');
    const unknownModule = await service.request('PUT', '/v1/admin/licensing-servers/isp', {
      body: { ...server, module: 'nope' },
    });
    assert.equal(unknownModule.status, 422);
    const badSettings = await service.request('PUT', '/v1/admin/licensing-servers/isp', {
      body: { ...server, settings: { auth: 'telepathy' } },
    });
    assert.equal(badSettings.status, 400);
    const badKey = await service.request('PUT', '/v1/admin/licensing-servers/bad%20key', { body: server });
    assert.equal(badKey.status, 400);
    assert.deepEqual((await service.request('GET', '/v1/admin/licensing-servers')).body, { items: [] });
  });

  it('keeps enumerations with their values and periods', async () => {
    const put = await service.request('PUT', '/v1/admin/enumerations/panels', { body: enumeration });
    assert.equal(put.status, 200);
    assert.deepEqual(
      put.body.values.map((v: { key: string; periods?: unknown }) => [v.key, v.periods]),
      [
        ['nopanel', undefined],
        ['isp-lite', undefined],
        ['isp-business', [1, 12]],
      ],
    );
    const bad = await service.request('PUT', '/v1/admin/enumerations/panels', {
      body: { name: 'x', values: [{ key: 'a', name: 'A', internalName: 'ispmanager' }] },
    });
    assert.equal(bad.status, 400);
    const duplicateKeys = await service.request('PUT', '/v1/admin/enumerations/panels', {
      body: { name: 'x', values: [enumeration.values[1], enumeration.values[1]] },
    });
    assert.equal(duplicateKeys.status, 400);
    assert.equal((await service.request('GET', '/v1/admin/enumerations/panels')).body.values.length, 3);
    assert.equal((await service.request('GET', '/v1/admin/enumerations/unknown')).status, 404);
  });

  it('checks tariff plan references (422) and refuses deleting what is referred to (409)', async () => {
    await service.request('PUT', '/v1/admin/licensing-servers/isp', { body: server });
    await service.request('PUT', '/v1/admin/enumerations/panels', { body: enumeration });
    for (const [field, value] of <Array<[string, string]>>[
      ['licensingServer', 'ghost'],
      ['enumeration', 'ghost'],
      ['defaultValue', 'ghost'],
    ]) {
      const answer = await service.request('PUT', '/v1/admin/tariff-plans/p1', { body: { ...plan, [field]: value } });
      assert.equal(answer.status, 422, field);
      assert.equal(answer.body.error.code, 'unknown_reference');
    }
    assert.equal((await service.request('PUT', '/v1/admin/tariff-plans/vps-monthly', { body: plan })).status, 200);
    const deleteServer = await service.request('DELETE', '/v1/admin/licensing-servers/isp');
    assert.equal(deleteServer.status, 409);
    assert.deepEqual(deleteServer.body.error.details.tariffPlans, ['vps-monthly']);
    assert.equal((await service.request('DELETE', '/v1/admin/enumerations/panels')).status, 409);
    const shrink = await service.request('PUT', '/v1/admin/enumerations/panels', {
      body: { name: 'x', values: [enumeration.values[0]] },
    });
    assert.equal(shrink.status, 422, 'the plan default value would vanish');
    assert.equal((await service.request('DELETE', '/v1/admin/tariff-plans/vps-monthly')).status, 204);
    assert.equal((await service.request('DELETE', '/v1/admin/tariff-plans/vps-monthly')).status, 404);
    assert.equal((await service.request('DELETE', '/v1/admin/enumerations/panels')).status, 204);
    assert.equal((await service.request('DELETE', '/v1/admin/licensing-servers/isp')).status, 204);
    assert.equal((await service.request('GET', '/v1/admin/licensing-servers/isp')).status, 404);
  });

  it('creates, lists and deletes period comparisons; duplicates 409, unorderable targets 422', async () => {
    await putCatalog();
    const created = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 },
    });
    assert.equal(created.status, 201);
    assert.ok(created.body.id, 'the rule has an id');
    assert.deepEqual(
      { ...created.body, id: undefined, createdAt: undefined },
      {
        id: undefined,
        createdAt: undefined,
        licensingServer: 'isp',
        sourcePeriod: 1,
        targetPeriod: 12,
        tariffPlan: null,
        productType: null,
        managedBy: 'api',
      },
    );
    const duplicate = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 'lifetime' },
    });
    assert.equal(duplicate.status, 409);
    const scoped = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 1, tariffPlan: 'vps-monthly' },
    });
    assert.equal(scoped.status, 201, 'another scope with the same source is fine');
    assert.equal(scoped.body.productType, 'vds');
    // isp-business can be ordered for 1 and 12 only: an unscoped 3 → lifetime meets it.
    const unorderable = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 3, targetPeriod: 'lifetime' },
    });
    assert.equal(unorderable.status, 422);
    assert.equal(unorderable.body.error.code, 'period_not_orderable');
    assert.equal(unorderable.body.error.details.problems[0].priceList, '4601');
    const unknownPlan = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 3, targetPeriod: 12, tariffPlan: 'ghost' },
    });
    assert.equal(unknownPlan.status, 422);
    const wrongType = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 0, targetPeriod: 12 },
    });
    assert.equal(wrongType.status, 400);
    assert.equal((await service.request('GET', '/v1/admin/period-comparisons')).body.items.length, 2);
    assert.equal((await service.request('DELETE', '/v1/admin/tariff-plans/vps-monthly')).status, 409);
    assert.equal((await service.request('DELETE', `/v1/admin/period-comparisons/${scoped.body.id}`)).status, 204);
    assert.equal((await service.request('DELETE', `/v1/admin/period-comparisons/${scoped.body.id}`)).status, 404);
  });

  it('refuses an enumeration change that would make a rule target unorderable', async () => {
    await putCatalog();
    await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 },
    });
    const values = enumeration.values.map((v) => (v.key === 'isp-lite' ? { ...v, periods: [1, 'lifetime'] } : v));
    const answer = await service.request('PUT', '/v1/admin/enumerations/panels', { body: { ...enumeration, values } });
    assert.equal(answer.status, 422);
    assert.equal((await service.request('GET', '/v1/admin/enumerations/panels')).body.values[1].periods, undefined);
  });

  it('resolves periods as SPEC.md says: rule, same, minimum', async () => {
    await putCatalog();
    const rule = await service.request('POST', '/v1/admin/period-comparisons', {
      body: { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 },
    });
    const resolve = (query: string) => service.request('GET', `/v1/admin/period-comparisons/resolve?${query}`);
    assert.deepEqual((await resolve('licensingServer=isp&tariffPlan=vps-monthly&sourcePeriod=1&priceList=3541')).body, {
      targetPeriod: 12,
      rule: rule.body.id,
      reason: 'rule',
    });
    assert.deepEqual((await resolve('licensingServer=isp&sourcePeriod=12&priceList=3541')).body, {
      targetPeriod: 12,
      rule: null,
      reason: 'same',
    });
    assert.deepEqual((await resolve('licensingServer=isp&sourcePeriod=lifetime&priceList=4601')).body, {
      targetPeriod: 1,
      rule: null,
      reason: 'minimum',
    });
    assert.deepEqual((await resolve('tariffPlan=vps-monthly&sourcePeriod=6')).body, {
      targetPeriod: 1,
      rule: null,
      reason: 'minimum',
    });
    assert.equal((await resolve('licensingServer=isp&sourcePeriod=abc')).status, 400);
    assert.equal((await resolve('licensingServer=ghost&sourcePeriod=1')).status, 422);
    assert.equal((await resolve('sourcePeriod=1')).status, 400);
  });

  it('answers malformed JSON 400, a non-JSON body 415 and a body over the limit 413', async () => {
    const malformed = await service.request('PUT', '/v1/admin/enumerations/x', {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_json');
    const notJson = await service.request('PUT', '/v1/admin/enumerations/x', {
      rawBody: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(notJson.status, 415);
    const huge = await service.request('PUT', '/v1/admin/enumerations/x', {
      rawBody: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 413);
    const unknown = await service.request('GET', '/v1/nowhere');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  it('serves health, readiness and an OpenAPI 3.1 document describing every admin endpoint', async () => {
    assert.deepEqual((await service.request('GET', '/healthz', { token: null })).body, { status: 'ok' });
    const ready = await service.request('GET', '/readyz', { token: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: true, redis: true });
    const doc = (await service.request('GET', '/v1/openapi.json', { token: null })).body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/admin/licensing-servers',
      '/v1/admin/licensing-servers/{key}',
      '/v1/admin/licensing-servers/{key}/check',
      '/v1/admin/enumerations/{key}',
      '/v1/admin/tariff-plans/{key}',
      '/v1/admin/period-comparisons',
      '/v1/admin/period-comparisons/{id}',
      '/v1/admin/period-comparisons/resolve',
    ]) {
      assert.ok(doc.paths[path], `${path} is described`);
    }
    const put = doc.paths['/v1/admin/enumerations/{key}'].put;
    assert.ok(put.requestBody.content['application/json'].schema.properties.values, 'the body schema is there');
    assert.ok(put.responses['422'], 'the 422 answer is described');
  });
});
