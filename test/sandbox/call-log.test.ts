import assert from 'node:assert/strict';
import { loggableParams } from '../../src/sandbox/call-log';
import type { SandboxCall, SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, control, errorOf, orderParams, post, startTestSandbox } from './helpers';

describe('sandbox: call log', () => {
  const password = 'S3cret-pa55word';
  let sandbox: SandboxHandle;
  let seen: SandboxCall[];

  beforeEach(async () => {
    seen = [];
    sandbox = await startTestSandbox({
      accounts: [{ username: 'reseller', password }],
      onCall: (call) => seen.push(call),
    });
  });
  afterEach(() => sandbox.close());

  /** Makes every kind of call, with both auth styles and some failures; returns the secrets that were used. */
  async function exerciseApi(): Promise<string[]> {
    const client = new ApiClient(sandbox);
    const opened = await post(sandbox.apiUrl, { func: 'auth', username: 'reseller', password });
    const session = (opened.doc.auth as { $: { id: string } }).$.id;
    await post(sandbox.apiUrl, { func: 'auth', username: 'reseller', password: 'wrong-password' });
    const id = await client.order({ remoteid: 'ref-log' });
    await post(sandbox.apiUrl, { auth: session, func: 'soft.edit', elid: id });
    await post(sandbox.apiUrl, { auth: session, func: 'soft.edit', elid: id, clicked_button: 'newkey', sok: 'ok' });
    await client.call('soft.edit', { elid: id, ip: '10.0.0.2', licname: 'renamed', sok: 'ok' });
    await client.call('service.prolong', { elid: id, period: '1', sok: 'ok' });
    await client.call('soft.suspend', { elid: id });
    await client.call('soft.resume', { elid: id });
    await client.call('soft');
    await client.call('soft.delete', { elid: id, sok: 'ok' });
    await client.call('soft.edit', { elid: id });
    await post(sandbox.apiUrl, { func: 'soft', authinfo: `reseller:${password}`, password });
    const keys = sandbox.licenses().map((l) => l.lickey);
    return [password, session, ...keys];
  }

  it('records every call with its func, outcome, error type, license and account', async () => {
    await exerciseApi();
    const calls = sandbox.calls();
    assert.deepEqual(
      calls.map((c) => [c.func, c.outcome, c.errorType ?? '']),
      [
        ['auth', 'ok', ''],
        ['auth', 'error', 'auth'],
        ['soft.order.param', 'ok', ''],
        ['soft.edit', 'ok', ''],
        ['soft.edit', 'ok', ''],
        ['soft.edit', 'ok', ''],
        ['service.prolong', 'ok', ''],
        ['soft.suspend', 'ok', ''],
        ['soft.resume', 'ok', ''],
        ['soft', 'ok', ''],
        ['soft.delete', 'ok', ''],
        ['soft.edit', 'error', 'missing'],
        ['soft', 'ok', ''],
      ],
    );
    const id = sandbox.licenses()[0]!.id;
    assert.equal(calls[2]!.licenseId, id);
    assert.equal(calls[3]!.licenseId, id);
    assert.equal(calls[11]!.licenseId, id);
    assert.equal(calls[9]!.licenseId, undefined);
    assert.equal(calls[3]!.account, 'reseller');
    assert.equal(calls[1]!.account, undefined);
    assert.deepEqual(calls[2]!.params, {
      out: 'xml',
      func: 'soft.order.param',
      ...orderParams({ remoteid: 'ref-log' }),
    });
    assert.ok(calls.every((c) => !Number.isNaN(Date.parse(c.at)) && c.at.startsWith('2026-03-15')));
    assert.deepEqual(seen, calls, 'onCall sees the same entries');
  });

  it('never holds a password, a session id or an activation key, in the log or the control API', async () => {
    const secrets = await exerciseApi();
    const logs = [
      JSON.stringify(sandbox.calls()),
      JSON.stringify(seen),
      JSON.stringify((await control(sandbox, 'GET', '/calls')).body),
    ];
    for (const log of logs) {
      for (const secret of secrets) assert.ok(!log.includes(secret), `log leaks ${secret.slice(0, 4)}…`);
      assert.doesNotMatch(log, /"(password|auth|authinfo)":/);
    }
  });

  it('filters anything named like a password', () => {
    assert.deepEqual(loggableParams({ func: 'x', Password: 'a', newpassword: 'b', passwd: 'c', AUTH: 'd', ip: '1' }), {
      func: 'x',
      ip: '1',
    });
  });

  it('is kept per sandbox and emptied by reset', async () => {
    assert.equal(errorOf(await new ApiClient(sandbox).call('soft')), undefined);
    assert.equal(sandbox.calls().length, 1);
    sandbox.reset();
    assert.deepEqual(sandbox.calls(), []);
  });
});
