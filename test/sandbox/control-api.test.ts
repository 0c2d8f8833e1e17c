import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, DAY_MS, START, control, errorOf, orderParams, post, startTestSandbox } from './helpers';

interface State {
  clock: string;
  latencyMs: number;
  balances: Record<string, number>;
  licenses: { id: string; ip: string; lickey: string; status: number }[];
  faults: { fault: Record<string, unknown>; remaining: number | string }[];
}

describe('sandbox: control API', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  const state = async () => (await control(sandbox, 'GET', '/state')).body as State;

  it('GET /state shows licenses, balances, clock, latency and faults', async () => {
    const id = await client.order();
    const body = await state();
    assert.deepEqual(body.balances, { reseller: 900 });
    assert.equal(body.licenses[0]?.id, id);
    assert.equal(body.licenses[0]?.status, 2);
    assert.equal(body.clock.slice(0, 10), '2026-03-15');
    assert.equal(body.latencyMs, 0);
    assert.deepEqual(body.faults, []);
  });

  it('GET /calls returns the call log', async () => {
    await client.call('soft');
    const { status, body } = await control(sandbox, 'GET', '/calls');
    assert.equal(status, 200);
    assert.deepEqual(
      (body as { func: string }[]).map((c) => c.func),
      ['soft'],
    );
  });

  it('POST /faults arms a fault (times may be "Infinity"); DELETE /faults clears them', async () => {
    const armed = await control(sandbox, 'POST', '/faults', {
      kind: 'error',
      type: 'access',
      func: 'soft',
      times: 'Infinity',
    });
    assert.equal(armed.status, 200);
    assert.equal(errorOf(await client.call('soft'))?.type, 'access');
    assert.equal(errorOf(await client.call('soft'))?.type, 'access');
    assert.deepEqual((await state()).faults, [
      { fault: { kind: 'error', type: 'access', func: 'soft', times: 'Infinity' }, remaining: 'Infinity' },
    ]);
    assert.deepEqual((await control(sandbox, 'DELETE', '/faults')).body, { ok: true });
    assert.equal(errorOf(await client.call('soft')), undefined);
  });

  it('POST /faults refuses a malformed fault with a JSON error', async () => {
    for (const bad of [
      { kind: 'nonsense' },
      { kind: 'http' },
      { kind: 'latency', ms: -1 },
      { kind: 'drop', times: 0 },
    ]) {
      const reply = await control(sandbox, 'POST', '/faults', bad);
      assert.equal(reply.status, 400, JSON.stringify(bad));
      assert.equal((reply.body as { error: { code: string } }).error.code, 'invalid_fault');
    }
    assert.deepEqual((await state()).faults, []);
  });

  it('refuses a body that is not JSON with a JSON error', async () => {
    const response = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'bad_request');
  });

  it('POST /clock advances or sets the sandbox clock', async () => {
    const advanced = await control(sandbox, 'POST', '/clock', { advanceMs: 2 * DAY_MS });
    assert.equal((advanced.body as { clock: string }).clock.slice(0, 10), '2026-03-17');
    assert.equal(sandbox.clock.now().toISOString().slice(0, 10), '2026-03-17');
    const set = await control(sandbox, 'POST', '/clock', { set: '2027-01-01T00:00:00+03:00' });
    assert.equal((set.body as { clock: string }).clock.slice(0, 16), '2026-12-31T21:00');
    assert.equal((await control(sandbox, 'POST', '/clock', { set: 'yesterday' })).status, 400);
    assert.equal((await control(sandbox, 'POST', '/clock', {})).status, 400);
  });

  it('PUT /latency sets the latency of API calls', async () => {
    assert.deepEqual((await control(sandbox, 'PUT', '/latency', { ms: 120 })).body, { latencyMs: 120 });
    const started = performance.now();
    await client.call('soft');
    assert.ok(performance.now() - started >= 115);
    const started2 = performance.now();
    await control(sandbox, 'GET', '/state');
    assert.ok(performance.now() - started2 < 100, 'the control API is not delayed');
    assert.equal((await control(sandbox, 'PUT', '/latency', { ms: -5 })).status, 400);
  });

  it('PUT /balance sets an account balance (the default account when no username)', async () => {
    assert.deepEqual((await control(sandbox, 'PUT', '/balance', { amount: 5 })).body, {
      username: 'reseller',
      balance: 5,
    });
    assert.equal(sandbox.balance(), 5);
    assert.equal(errorOf(await client.call('soft.order.param', orderParams({ period: '1' })))?.type, 'balance');
    assert.equal((await control(sandbox, 'PUT', '/balance', { username: 'x', amount: 5 })).status, 404);
    assert.equal((await control(sandbox, 'PUT', '/balance', { amount: 'lots' })).status, 400);
  });

  it('POST /reset clears licenses, calls, faults and sessions, and restores balances and clock', async () => {
    const opened = await post(sandbox.apiUrl, { func: 'auth', username: 'reseller', password: 'sandbox' });
    const sessionId = (opened.doc.auth as { $: { id: string } }).$.id;
    await client.order();
    sandbox.armFault({ kind: 'error', type: 'access', func: 'soft.edit' });
    sandbox.clock.advance(40 * DAY_MS);
    sandbox.setBalance(1);
    assert.deepEqual((await control(sandbox, 'POST', '/reset')).body, { ok: true });
    const body = await state();
    assert.deepEqual(body.licenses, []);
    assert.deepEqual(body.faults, []);
    assert.deepEqual(body.balances, { reseller: 1000 });
    assert.equal(body.clock.slice(0, 10), START.toISOString().slice(0, 10));
    assert.deepEqual(sandbox.calls(), []);
    assert.equal(errorOf(await post(sandbox.apiUrl, { func: 'soft', auth: sessionId }))?.type, 'auth');
  });

  it('answers unknown control routes with a JSON 404', async () => {
    const reply = await control(sandbox, 'GET', '/nothing');
    assert.equal(reply.status, 404);
  });

  it('can be switched off', async () => {
    const quiet = await startTestSandbox({ controlApi: false });
    try {
      const response = await fetch(`${quiet.url}/_sandbox/state`);
      assert.equal(response.status, 404);
    } finally {
      await quiet.close();
    }
  });
});
