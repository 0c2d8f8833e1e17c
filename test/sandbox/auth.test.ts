import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, HOUR_MS, errorOf, get, post, startTestSandbox } from './helpers';

describe('sandbox: auth and dispatch', () => {
  let sandbox: SandboxHandle;

  beforeEach(async () => {
    sandbox = await startTestSandbox({
      accounts: [
        { username: 'reseller', password: 'sandbox' },
        { username: 'colon', password: 'a:b:c' },
      ],
    });
  });
  afterEach(() => sandbox.close());

  async function openSession(): Promise<string> {
    const reply = await post(sandbox.apiUrl, { func: 'auth', username: 'reseller', password: 'sandbox' });
    const auth = reply.doc.auth as { _: string; $: { id: string } };
    assert.equal(auth._, auth.$.id);
    return auth.$.id;
  }

  it('func=auth opens a session that works with auth=<id>', async () => {
    const session = await openSession();
    assert.match(session, /^[0-9a-f]{32}$/);
    const reply = await post(sandbox.apiUrl, { auth: session, func: 'soft' });
    assert.equal(reply.status, 200);
    assert.equal(errorOf(reply), undefined);
  });

  it('refuses bad credentials with an auth error document, HTTP 200', async () => {
    const reply = await post(sandbox.apiUrl, { func: 'auth', username: 'reseller', password: 'wrong' });
    assert.equal(reply.status, 200);
    assert.deepEqual(errorOf(reply), { type: 'auth', object: 'badpassword', msg: 'Invalid username or password' });
    const unknownUser = await post(sandbox.apiUrl, { func: 'auth', username: 'nobody', password: 'sandbox' });
    assert.equal(errorOf(unknownUser)?.type, 'auth');
  });

  it('accepts authinfo=user:pass on each call, splitting at the first colon', async () => {
    assert.equal(errorOf(await new ApiClient(sandbox).call('soft')), undefined);
    assert.equal(errorOf(await new ApiClient(sandbox, 'colon', 'a:b:c').call('soft')), undefined);
    assert.equal(errorOf(await new ApiClient(sandbox, 'reseller', 'nope').call('soft'))?.type, 'auth');
    const noColon = await post(sandbox.apiUrl, { authinfo: 'reseller', func: 'soft' });
    assert.equal(errorOf(noColon)?.type, 'auth');
  });

  it('refuses calls without credentials and with an unknown session', async () => {
    assert.deepEqual(errorOf(await post(sandbox.apiUrl, { func: 'soft' }))?.object, 'session');
    const unknown = await post(sandbox.apiUrl, { auth: 'f'.repeat(32), func: 'soft' });
    assert.deepEqual(errorOf(unknown)?.type, 'auth');
  });

  it('expires a session after one hour idle on the sandbox clock', async () => {
    const session = await openSession();
    sandbox.clock.advance(HOUR_MS - 60_000);
    assert.equal(errorOf(await post(sandbox.apiUrl, { auth: session, func: 'soft' })), undefined);
    sandbox.clock.advance(HOUR_MS - 60_000);
    assert.equal(errorOf(await post(sandbox.apiUrl, { auth: session, func: 'soft' })), undefined, 'use renews it');
    sandbox.clock.advance(HOUR_MS + 60_000);
    const expired = await post(sandbox.apiUrl, { auth: session, func: 'soft' });
    assert.deepEqual(errorOf(expired)?.type, 'auth');
    sandbox.clock.advance(-2 * HOUR_MS);
    assert.equal(errorOf(await post(sandbox.apiUrl, { auth: session, func: 'soft' }))?.type, 'auth', 'stays dead');
  });

  it('accepts parameters by GET query as well as by POST form', async () => {
    const reply = await get(sandbox.apiUrl, { authinfo: 'reseller:sandbox', func: 'soft' });
    assert.equal(reply.status, 200);
    assert.equal(errorOf(reply), undefined);
    const session = await get(sandbox.apiUrl, { func: 'auth', username: 'reseller', password: 'sandbox' });
    assert.ok(session.doc.auth);
  });

  it('answers an unknown or absent func with an error document', async () => {
    const client = new ApiClient(sandbox);
    assert.deepEqual(errorOf(await client.call('soft.nonsense')), {
      type: 'missing',
      object: 'func',
      msg: 'Unknown function: soft.nonsense',
    });
    const none = await post(sandbox.apiUrl, { authinfo: 'reseller:sandbox' });
    assert.equal(errorOf(none)?.object, 'func');
  });

  it('checks credentials before the function name', async () => {
    const reply = await post(sandbox.apiUrl, { func: 'soft.nonsense' });
    assert.equal(errorOf(reply)?.type, 'auth');
  });

  it('speaks out=xml only', async () => {
    const response = await fetch(sandbox.apiUrl, {
      method: 'POST',
      body: new URLSearchParams({ authinfo: 'reseller:sandbox', func: 'soft', out: 'json' }),
    });
    assert.match(await response.text(), /<error type="value" object="out">/);
  });

  it('replies text/xml with an XML declaration', async () => {
    const response = await fetch(sandbox.apiUrl, {
      method: 'POST',
      body: 'out=xml&func=soft&authinfo=reseller:sandbox',
    });
    assert.match(response.headers.get('content-type') ?? '', /^text\/xml/);
    assert.match(await response.text(), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<doc>/);
  });
});
