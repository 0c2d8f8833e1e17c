import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import {
  startTestService,
  TEST_ADMIN_TOKEN,
  TEST_PLATFORM_TOKEN,
  TEST_TOKENS,
  TEST_VIEWER_TOKEN,
  type TestService,
} from '../helpers/service';

type Caller = 'admin' | 'platform' | 'viewer' | 'unknown' | 'none';
const TOKEN_OF: Record<Caller, string | null> = {
  admin: TEST_ADMIN_TOKEN,
  platform: TEST_PLATFORM_TOKEN,
  viewer: TEST_VIEWER_TOKEN,
  unknown: 'not-a-token-of-this-service',
  none: null,
};

/** CONTRACT.md "Roles and tokens", written out apart from the code: the roles that reach a route. */
function contractRoles(method: string, path: string): string[] {
  if (method === 'get' && path === '/v1/operations/{id}') return ['admin', 'platform', 'viewer'];
  if (method === 'get' && path === '/v1/services/{id}') return ['admin', 'platform'];
  if (method === 'get' && (path.startsWith('/v1/admin/') || path === '/metrics')) return ['admin', 'viewer'];
  return ['admin'];
}

/** Needs no bearer token at all (the hooks are signed instead). */
function isOpenRoute(path: string): boolean {
  return ['/healthz', '/readyz', '/v1/openapi.json'].includes(path) || path.startsWith('/v1/hooks/');
}

describe('roles and tokens', function () {
  this.timeout(60_000);

  describe('on every route of the published route table', () => {
    let service: TestService;
    beforeEach(async () => {
      service = await startTestService();
    });
    afterEach(async () => {
      await service.close();
    });

    it('answers each role as the contract says: allowed, 403 forbidden, or 401 unauthorized', async () => {
      const doc = (await service.request('GET', '/v1/openapi.json', { token: null })).body;
      const routes = Object.entries(doc.paths as Record<string, Record<string, { security: object[] }>>).flatMap(
        ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      );
      const tokenRoutes = routes.filter((route) => !isOpenRoute(route.path));
      assert.ok(tokenRoutes.length >= 20, `only ${tokenRoutes.length} token routes are published`);
      for (const { path, method, operation } of tokenRoutes) {
        const expected = contractRoles(method, path);
        assert.deepEqual(operation.security, [{ bearerToken: expected }], `${method} ${path} publishes its roles`);
        // Path parameters name nothing that exists: an allowed caller gets 400 or 404, and nothing changes.
        const url = path.replace(/\{\w+\}/g, 'nothing-here');
        for (const caller of Object.keys(TOKEN_OF) as Caller[]) {
          const answer = await service.request(method.toUpperCase(), url, { token: TOKEN_OF[caller] });
          const where = `${method.toUpperCase()} ${path} as ${caller}: ${answer.status} ${JSON.stringify(answer.body)}`;
          if (caller === 'unknown' || caller === 'none') {
            assert.equal(answer.status, 401, where);
            assert.equal(answer.body.error.code, 'unauthorized', where);
          } else if (expected.includes(caller)) {
            assert.ok(![401, 403].includes(answer.status), where);
          } else {
            assert.equal(answer.status, 403, where);
            assert.equal(answer.body.error.code, 'forbidden', where);
          }
        }
      }
      const auditRows = await service.database.db('audit_log').count({ n: '*' });
      assert.equal(Number(auditRows[0]!.n), 0, 'refused and failed writes leave no audit row');
    });

    it('records each admin write with the token name as actor, and never the password', async () => {
      const server = {
        module: 'billmanager',
        url: 'https://reseller:url-password@licenses.example.net/billmgr?authinfo=reseller:query-password',
        username: 'reseller',
        password: 'top-secret-password',
      };
      const refused = await service.request('PUT', '/v1/admin/licensing-servers/isp', {
        body: server,
        token: TEST_VIEWER_TOKEN,
      });
      assert.equal(refused.status, 403);
      assert.equal((await service.request('GET', '/v1/admin/licensing-servers/isp')).status, 404, 'nothing saved');
      assert.deepEqual(await service.stores.audit.listFor('licensing_server', 'isp'), []);

      assert.equal((await service.request('PUT', '/v1/admin/licensing-servers/isp', { body: server })).status, 200);
      const enumeration = { name: 'Panels', values: [{ key: 'isp-lite', name: 'Lite', internalName: '3541' }] };
      assert.equal((await service.request('PUT', '/v1/admin/enumerations/panels', { body: enumeration })).status, 200);
      const rule = { licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 };
      const created = await service.request('POST', '/v1/admin/period-comparisons', { body: rule });
      assert.equal(created.status, 201);
      assert.equal((await service.request('DELETE', `/v1/admin/period-comparisons/${created.body.id}`)).status, 204);
      assert.equal((await service.request('DELETE', '/v1/admin/enumerations/panels')).status, 204);

      const [put] = await service.stores.audit.listFor('licensing_server', 'isp');
      assert.equal(put!.actor, 'admin', 'the name of the admin token');
      assert.equal(put!.action, 'admin.licensing_server.put');
      assert.equal(put!.details!.username, 'reseller');
      assert.doesNotMatch(JSON.stringify(put), /password/i, 'no password, from the body or the URL');
      const rules = await service.stores.audit.listFor('period_comparison', created.body.id);
      assert.deepEqual(
        rules.map((row) => [row.actor, row.action]),
        [
          ['admin', 'admin.period_comparison.create'],
          ['admin', 'admin.period_comparison.delete'],
        ],
      );
      const enumerations = await service.stores.audit.listFor('enumeration', 'panels');
      assert.deepEqual(
        enumerations.map((row) => row.action),
        ['admin.enumeration.put', 'admin.enumeration.delete'],
      );
      assert.deepEqual(enumerations[0]!.details, { name: 'Panels', values: ['isp-lite'] });
    });
  });

  describe('activation keys', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('are shown to the platform and admins, and are null in everything a viewer sees', async () => {
      const op = await h.run('open', openFacts('vps-keys'));
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const lickey = h.sandbox.licenses().find((l) => l.id === op.result.upstreamId)!.lickey;
      assert.ok(lickey, 'the sandbox issued a key');

      for (const token of [TEST_ADMIN_TOKEN, TEST_PLATFORM_TOKEN]) {
        const view = await h.service.request('GET', '/v1/services/vps-keys', { token });
        assert.equal(view.status, 200);
        assert.equal(view.body.license.activationKey, lickey);
      }
      assert.equal((await h.service.request('GET', '/v1/services/vps-keys', { token: TEST_VIEWER_TOKEN })).status, 403);

      const asAdmin = await h.service.request('GET', '/v1/admin/licenses?serviceId=vps-keys');
      assert.equal(asAdmin.body.items[0].activationKey, lickey);
      const asViewer = await h.service.request('GET', '/v1/admin/licenses?serviceId=vps-keys', {
        token: TEST_VIEWER_TOKEN,
      });
      assert.equal(asViewer.status, 200);
      assert.equal(asViewer.body.items.length, 1);
      assert.equal(asViewer.body.items[0].id, asAdmin.body.items[0].id);
      assert.equal(asViewer.body.items[0].activationKey, null);
      assert.doesNotMatch(JSON.stringify(asViewer.body), new RegExp(lickey));

      const opAsViewer = await h.service.request('GET', `/v1/operations/${op.id}`, { token: TEST_VIEWER_TOKEN });
      assert.equal(opAsViewer.status, 200);
      assert.doesNotMatch(JSON.stringify(opAsViewer.body), new RegExp(lickey));
    });
  });

  describe('admin writes on a running service', () => {
    const ALICE_TOKEN = 'alice-admin-token-0123456789';
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({
        config: { auth: { tokens: [...TEST_TOKENS, { name: 'alice', role: 'admin', token: ALICE_TOKEN }] } },
      });
    });
    afterEach(async () => {
      await h.close();
    });

    it('records a retry and a connection check under the name of the token that made them', async () => {
      h.sandbox.setBalance(0, 'reseller');
      const failed = await h.run('open', openFacts('vps-retry'));
      assert.equal(failed.status, 'failed');
      const path = `/v1/admin/operations/${failed.id}/retry`;
      assert.equal((await h.service.request('POST', path, { token: TEST_VIEWER_TOKEN })).status, 403);
      assert.equal((await h.service.request('POST', path, { token: TEST_PLATFORM_TOKEN })).status, 403);
      const adminRows = async () =>
        (await h.service.stores.audit.listFor('operation', failed.id)).filter((row) => row.action.startsWith('admin.'));
      assert.deepEqual(await adminRows(), [], 'a refused retry leaves no row');

      h.sandbox.setBalance(10_000, 'reseller');
      assert.equal((await h.service.request('POST', path, { token: ALICE_TOKEN })).status, 202);
      const [retry, ...more] = await adminRows();
      assert.equal(more.length, 0);
      assert.equal(retry!.action, 'admin.operation.retry');
      assert.equal(retry!.actor, 'alice');
      assert.deepEqual(retry!.details, { event: 'open', serviceId: 'vps-retry' });
      assert.equal((await h.settled(failed.id)).status, 'succeeded');

      const check = await h.service.request('POST', '/v1/admin/licensing-servers/isp/check', { token: ALICE_TOKEN });
      assert.deepEqual(check.body, { ok: true });
      const checks = await h.service.stores.audit.listFor('licensing_server', 'isp');
      assert.deepEqual(
        checks.map((row) => [row.actor, row.action, row.details]),
        [['alice', 'admin.licensing_server.check', { ok: true }]],
      );
    });
  });
});
