import assert from 'node:assert/strict';
import pino from 'pino';
import type { CatalogConfig } from '../../src/catalog/schemas';
import type { Config } from '../../src/config/schema';
import { startService, type RunningService } from '../../src/service';
import { testCatalog } from '../helpers/lifecycle';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service';

/** The configuration file's catalog: the test catalog on a licensing server no call reaches (nothing goes upstream). */
function fileCatalog(): CatalogConfig {
  return testCatalog({ apiUrl: 'https://licenses.example.net/billmgr' });
}

const apiPlan = {
  name: 'VPS by the API',
  productType: 'vds',
  licensingServer: 'isp',
  enumeration: 'panels',
  defaultValue: 'isp-lite',
};

describe('catalog provenance: the file manages its own entries, the API its own, across restarts', () => {
  let first: TestService;
  let running: RunningService;

  beforeEach(async () => {
    first = await startTestService({ catalog: fileCatalog() });
    running = first;
  });
  afterEach(async () => {
    if (running !== first) await running.stop();
    await first.close();
  });

  /** Stops the running service and starts another on the same database, with `catalog` as the file's. */
  async function restart(catalog: CatalogConfig, overrides: Partial<Config> = {}): Promise<void> {
    await running.stop();
    running = first; // stopped: close() must not stop it twice when the start below fails
    running = await startService({ ...first.config, catalog, ...overrides }, pino({ level: 'silent' }));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of many shapes
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(running.url + path, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function managedBy(collection: string): Promise<Record<string, string>> {
    const { body } = await call('GET', `/v1/admin/${collection}`);
    return Object.fromEntries(
      body.items.map((item: { key?: string; id: string; managedBy: string }) => [item.key ?? item.id, item.managedBy]),
    );
  }

  it('shows managedBy, and refuses (409) a PUT or DELETE of a file-managed entry with nothing changed', async () => {
    assert.deepEqual(await managedBy('licensing-servers'), { isp: 'config' });
    assert.deepEqual(await managedBy('enumerations'), { panels: 'config' });
    assert.deepEqual(await managedBy('tariff-plans'), { 'vps-monthly': 'config', 'vps-yearly': 'config' });
    assert.equal((await call('GET', '/v1/admin/tariff-plans/vps-monthly')).body.managedBy, 'config');
    const [rule] = (await call('GET', '/v1/admin/period-comparisons')).body.items;
    assert.equal(rule.managedBy, 'config');

    const before = await first.database.db('tariff_plans').orderBy('key');
    const refused = [
      await call('PUT', '/v1/admin/tariff-plans/vps-monthly', { ...apiPlan, name: 'changed' }),
      await call('DELETE', '/v1/admin/tariff-plans/vps-monthly'),
      await call('PUT', '/v1/admin/enumerations/panels', { name: 'x', values: fileCatalog().enumerations[0]!.values }),
      await call('DELETE', '/v1/admin/enumerations/panels'),
      await call('PUT', '/v1/admin/licensing-servers/isp', { ...fileCatalog().licensingServers[0], key: undefined }),
      await call('DELETE', '/v1/admin/licensing-servers/isp'),
      await call('DELETE', `/v1/admin/period-comparisons/${rule.id}`),
    ];
    for (const answer of refused) {
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'managed_by_config');
    }
    assert.deepEqual(await first.database.db('tariff_plans').orderBy('key'), before, 'nothing changed');
    assert.equal((await call('GET', '/v1/admin/period-comparisons')).body.items.length, 1);

    const created = await call('PUT', '/v1/admin/tariff-plans/vps-api', apiPlan);
    assert.equal(created.status, 200);
    assert.equal(created.body.managedBy, 'api');
  });

  it('a restart keeps an API-made plan as it was, and the file-managed ones stay refused', async () => {
    const created = await call('PUT', '/v1/admin/tariff-plans/vps-api', apiPlan);
    assert.equal(created.status, 200);
    const apiRule = await call('POST', '/v1/admin/period-comparisons', {
      licensingServer: 'isp',
      tariffPlan: 'vps-api',
      sourcePeriod: 1,
      targetPeriod: 'lifetime',
    });
    assert.equal(apiRule.status, 201);

    await restart(fileCatalog());

    assert.deepEqual(
      (await call('GET', '/v1/admin/tariff-plans/vps-api')).body,
      created.body,
      'untouched by the restart',
    );
    const rules = (await call('GET', '/v1/admin/period-comparisons')).body.items;
    assert.deepEqual(
      rules.find((r: { id: string }) => r.id === apiRule.body.id),
      apiRule.body,
    );
    assert.equal(
      (await call('PUT', '/v1/admin/tariff-plans/vps-monthly', apiPlan)).body.error.code,
      'managed_by_config',
    );
    assert.equal((await call('DELETE', '/v1/admin/tariff-plans/vps-yearly')).status, 409);
    assert.equal((await call('GET', '/v1/admin/tariff-plans/vps-monthly')).body.name, 'VPS monthly');
    assert.equal((await call('PUT', '/v1/admin/tariff-plans/vps-api', { ...apiPlan, name: 'renamed' })).status, 200);
  });

  it('an entry dropped from the file stays, now API-managed; a file entry of an API-made key is taken over', async () => {
    assert.equal((await call('PUT', '/v1/admin/tariff-plans/vps-api', apiPlan)).status, 200);
    const catalog = fileCatalog();
    const yearly = catalog.tariffPlans.pop()!;
    catalog.tariffPlans.push({ key: 'vps-api', ...apiPlan, name: 'VPS from the file' });

    await restart(catalog);

    const yearlyNow = (await call('GET', '/v1/admin/tariff-plans/vps-yearly')).body;
    assert.equal(yearlyNow.managedBy, 'api');
    assert.equal(yearlyNow.name, yearly.name, 'it stays as it was');
    assert.equal((await call('PUT', '/v1/admin/tariff-plans/vps-yearly', { ...apiPlan, name: 'edited' })).status, 200);
    const takenOver = (await call('GET', '/v1/admin/tariff-plans/vps-api')).body;
    assert.equal(takenOver.managedBy, 'config');
    assert.equal(takenOver.name, 'VPS from the file');
    assert.equal((await call('DELETE', '/v1/admin/tariff-plans/vps-api')).status, 409);
  });

  it('a licensing-server PUT whose timeoutMs the worker timing cannot cover is 422; a start with such a server fails', async () => {
    await restart(fileCatalog(), { env: 'development' });
    const server = { module: 'billmanager', url: 'https://other.example.net/billmgr', username: 'u', password: 'p' };
    // Defaults: reconcileDelayMs 45 s, leaseMs 60 s: up to 17.5 s per request is safe.
    const tooLong = await call('PUT', '/v1/admin/licensing-servers/other', {
      ...server,
      settings: { timeoutMs: 17_501 },
    });
    assert.equal(tooLong.status, 422, JSON.stringify(tooLong.body));
    assert.equal(tooLong.body.error.code, 'timeout_too_long');
    assert.match(tooLong.body.error.message, /worker\.reconcileDelayMs.*worker\.leaseMs/);
    assert.equal((await call('GET', '/v1/admin/licensing-servers/other')).status, 404, 'nothing saved');
    const fits = await call('PUT', '/v1/admin/licensing-servers/other', { ...server, settings: { timeoutMs: 17_500 } });
    assert.equal(fits.status, 200, JSON.stringify(fits.body));

    // The API-made server is in the database, not in the file: a start with a shorter delay refuses it.
    await assert.rejects(
      restart(fileCatalog(), { env: 'development', worker: { ...first.config.worker, reconcileDelayMs: 44_000 } }),
      /worker\.reconcileDelayMs.*worker\.leaseMs/,
    );
  });
});
