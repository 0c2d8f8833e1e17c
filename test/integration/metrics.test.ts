import assert from 'node:assert/strict';
import type { MetricsStore } from '../../src/db/metrics-store';
import { fastWorkerSettings, openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { parsePrometheusText } from '../helpers/prometheus-text';
import { deleteRedisKeysWithPrefix, uniqueRedisName } from '../helpers/redis';
import {
  startTestService,
  TEST_ADMIN_TOKEN,
  TEST_PLATFORM_TOKEN,
  TEST_VIEWER_TOKEN,
  type TestService,
} from '../helpers/service';

const FRESH = { metrics: { public: false, cacheMs: 0 } };

/** Counts the reads of the state gauges' store. */
function countReads(store: MetricsStore): { reads: number } {
  const counter = { reads: 0 };
  const read = store.readGauges.bind(store);
  store.readGauges = (rule) => {
    counter.reads += 1;
    return read(rule);
  };
  return counter;
}

async function scrape(service: TestService, token: string | null = TEST_VIEWER_TOKEN) {
  const answer = await service.request('GET', '/metrics', { token });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return parsePrometheusText(answer.body);
}

describe('Prometheus metrics and the queue dashboard', function () {
  this.timeout(60_000);

  describe('GET /metrics on a running service', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ config: FRESH });
    });
    afterEach(async () => {
      await h.close();
    });

    it('parses as Prometheus text, and its counters and gauges follow an open, a close and the database', async () => {
      const before = await scrape(h.service);
      assert.equal(before.types.get('process_cpu_seconds_total'), 'counter', 'the process defaults are there');
      const attempts = { event: 'open', outcome: 'succeeded' };
      const orders = { licensing_server: 'isp', function: 'order', outcome: 'ok' };
      assert.equal(before.value('plm_operation_attempts_total', attempts) ?? 0, 0);
      assert.equal(before.value('plm_upstream_calls_total', orders) ?? 0, 0);

      assert.equal((await h.run('open', openFacts('vps-metrics'))).status, 'succeeded');
      assert.equal((await h.run('close', { id: 'vps-metrics' })).status, 'succeeded');
      await h.service.database.db('alerts').insert({
        id: 'alert-1',
        kind: 'drift',
        severity: 'warning',
        subject: '{"licensingServer":"isp"}',
        subject_key: 'licensingServer=isp',
        message: 'drift',
        state: 'open',
        opened_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      });
      const cost = { licensing_server: 'isp', price_list: '9999', license_id: 'l-1', at: new Date().toISOString() };
      await h.service.database.db('license_costs').insert([
        { ...cost, id: 'c-1', kind: 'order', period: '12', amount: 100, currency: 'EUR' },
        { ...cost, id: 'c-2', kind: 'renewal', period: '1', amount: 10.5, currency: 'EUR' },
        { ...cost, id: 'c-3', kind: 'reuse', period: '12', amount: 100, currency: 'EUR' },
        { ...cost, id: 'c-4', kind: 'order', period: '12', amount: null, currency: null },
      ]);

      const answer = await h.service.request('GET', '/metrics', { token: TEST_VIEWER_TOKEN });
      assert.match(answer.body, /^# HELP /);
      assert.doesNotMatch(answer.body, /vps-metrics/, 'no service id in a label');
      const after = parsePrometheusText(answer.body);
      assert.equal(after.types.get('plm_operation_attempts_total'), 'counter');
      assert.equal(after.value('plm_operation_attempts_total', attempts), 1);
      assert.equal(after.value('plm_operation_attempts_total', { event: 'close', outcome: 'succeeded' }), 1);
      assert.equal(after.value('plm_operation_attempt_duration_seconds_count', { event: 'open' }), 1);
      assert.equal(after.value('plm_upstream_calls_total', orders), 1);
      assert.equal(after.types.get('plm_upstream_call_duration_seconds'), 'histogram');
      const orderLatency = { licensing_server: 'isp', function: 'order' };
      assert.equal(after.value('plm_upstream_call_duration_seconds_count', orderLatency), 1);

      const pool = { licensing_server: 'isp', price_list: '3541' };
      assert.equal(after.value('plm_pool_licenses', pool), 1, 'the closed service left its license in the pool');
      assert.equal(after.value('plm_pool_eligible_licenses', pool), 1);
      assert.equal(after.value('plm_alerts_open', { kind: 'drift', severity: 'warning' }), 1);
      assert.equal(after.value('plm_operations', { status: 'succeeded' }), 2);
      const spent = { licensing_server: 'isp', price_list: '9999', currency: 'EUR' };
      assert.equal(after.value('plm_money_spent', spent), 110.5, 'orders and renewals, not reuses');
      assert.equal(after.value('plm_queue_jobs', { queue: 'operations', state: 'failed' }), 0);
      assert.equal(after.value('plm_queue_jobs', { queue: 'operations', state: 'waiting' }), 0);
    });

    it('answers admin and viewer tokens, 401 without a token or with an unknown one, 403 to the platform', async () => {
      const asAdmin = await fetch(`${h.service.url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      assert.equal(asAdmin.status, 200);
      assert.equal(asAdmin.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      for (const [token, status, code] of [
        [null, 401, 'unauthorized'],
        ['not-a-token-of-this-service', 401, 'unauthorized'],
        [TEST_PLATFORM_TOKEN, 403, 'forbidden'],
      ] as const) {
        const answer = await h.service.request('GET', '/metrics', { token });
        assert.equal(answer.status, status);
        assert.equal(answer.body.error.code, code);
      }
    });

    it('reads the database again at each scrape when metrics.cacheMs is 0', async () => {
      const spy = countReads(h.service.stores.metrics);
      await scrape(h.service);
      await scrape(h.service);
      assert.equal(spy.reads, 2);
    });
  });

  describe('configured', () => {
    let service: TestService | undefined;
    afterEach(async () => {
      await service?.close();
      service = undefined;
    });

    it('serves two scrapes within metrics.cacheMs from one database read', async () => {
      service = await startTestService({ metrics: { public: false, cacheMs: 60_000 } });
      const spy = countReads(service.stores.metrics);
      const first = await scrape(service);
      const second = await scrape(service, TEST_ADMIN_TOKEN);
      assert.equal(spy.reads, 1);
      assert.ok(first.types.has('plm_pool_licenses') && second.types.has('plm_pool_licenses'));
    });

    it('answers without a token when metrics.public is true', async () => {
      service = await startTestService({ metrics: { public: true, cacheMs: 5000 } });
      const exposition = await scrape(service, null);
      assert.equal(exposition.types.get('plm_queue_jobs'), 'gauge');
    });

    it('serves a worker process its own counters on metrics.port, without the state gauges', async () => {
      const queueName = uniqueRedisName('ops');
      try {
        service = await startTestService(
          { ...fastWorkerSettings(queueName), metrics: { public: false, cacheMs: 0, port: 0 } },
          'worker',
        );
        assert.equal(service.url, null, 'no API in a worker process');
        const at = `${service.metricsUrl}/metrics`;
        assert.equal((await fetch(at)).status, 401);
        const answer = await fetch(at, { headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` } });
        assert.equal(answer.status, 200);
        const exposition = parsePrometheusText(await answer.text());
        assert.equal(exposition.types.get('plm_operation_attempts_total'), 'counter');
        assert.equal(exposition.types.get('plm_upstream_calls_total'), 'counter');
        assert.equal(exposition.types.has('plm_pool_licenses'), false, 'the API process serves the state');
      } finally {
        await service?.close();
        service = undefined;
        await deleteRedisKeysWithPrefix(`bull:${queueName}`);
      }
    });
  });

  describe('the queue dashboard at /admin/queues', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ config: FRESH });
    });
    afterEach(async () => {
      await h.close();
    });

    const get = (path: string, token: string | null) =>
      fetch(h.service.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('answers 401 without a token, 403 to the platform, and the board to an admin, with its assets', async () => {
      for (const [token, status, code] of [
        [null, 401, 'unauthorized'],
        [TEST_PLATFORM_TOKEN, 403, 'forbidden'],
      ] as const) {
        for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
          const answer = await h.service.request('GET', path, { token });
          assert.equal(answer.status, status, path);
          assert.equal(answer.body.error.code, code, path);
        }
      }
      const page = await get('/admin/queues', TEST_ADMIN_TOKEN);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, /<base href="\/admin\/queues\/?"/);
      const scripts = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(scripts.length > 0 && scripts.every((src) => src.startsWith('static/')), scripts.join(' '));
      for (const src of scripts) {
        assert.equal((await get(`/admin/queues/${src}`, TEST_ADMIN_TOKEN)).status, 200, `${src} is served here`);
      }
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/, 'nothing from elsewhere');

      const queues = await h.service.request('GET', '/admin/queues/api/queues?activeQueue=&status=latest&page=1');
      assert.equal(queues.status, 200);
      const names = queues.body.queues.map((q: { name: string }) => q.name);
      assert.ok(names.includes(h.queueName), `the operation queue is listed: ${names.join(', ')}`);
      assert.ok(names.includes(`${h.queueName}-maintenance`));
      assert.ok(names.includes(`${h.queueName}-alerts`), 'the alert sweep queue is listed');
    });

    it('gives a viewer a read-only board: it reads, and a write through it is refused', async () => {
      const maintenance = `${h.queueName}-maintenance`;
      const isPaused = async () => {
        const { body } = await h.service.request('GET', '/admin/queues/api/queues', { token: TEST_VIEWER_TOKEN });
        const queue = body.queues.find((q: { name: string }) => q.name === maintenance);
        assert.equal(queue.readOnlyMode, true);
        return queue.isPaused as boolean;
      };
      assert.equal((await get('/admin/queues', TEST_VIEWER_TOKEN)).status, 200);
      assert.equal(await isPaused(), false);

      const pause = `/admin/queues/api/queues/${encodeURIComponent(maintenance)}/pause`;
      const refused = await h.service.request('PUT', pause, { token: TEST_VIEWER_TOKEN });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'forbidden');
      assert.equal(await isPaused(), false, 'nothing changed');

      assert.equal((await h.service.request('PUT', pause, { token: TEST_ADMIN_TOKEN })).status, 200);
      assert.equal(await isPaused(), true, "the admin's board writes");
      const resume = `/admin/queues/api/queues/${encodeURIComponent(maintenance)}/resume`;
      assert.equal((await h.service.request('PUT', resume, { token: TEST_ADMIN_TOKEN })).status, 200);
    });
  });
});
