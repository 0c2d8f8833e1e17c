import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, DAY_MS, errorOf, startTestSandbox } from './helpers';

describe('sandbox: soft.edit', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;
  let id: string;

  beforeEach(async () => {
    sandbox = await startTestSandbox();
    client = new ApiClient(sandbox);
    id = await client.order({ ip: '10.0.0.1', licname: 'vps-1' });
  });
  afterEach(() => sandbox.close());

  const changeIp = (ip: string) => client.call('soft.edit', { elid: id, ip, sok: 'ok' });
  const newKey = () => client.call('soft.edit', { elid: id, clicked_button: 'newkey', sok: 'ok' });
  const readField = async (field: string) => (await client.read(id)).doc[field];

  it('reads a license by elid with exactly the documented fields', async () => {
    const reply = await client.read(id);
    assert.deepEqual(Object.keys(reply.doc).sort(), [
      'elid',
      'expiredate',
      'ip',
      'lickey',
      'licname',
      'pricelist',
      'remoteid',
      'status',
    ]);
  });

  it('changes the IP once (the IP given at order is not a change), then refuses until next month', async () => {
    const first = await changeIp('10.0.0.2');
    assert.equal(first.doc.ok, '');
    assert.equal(await readField('ip'), '10.0.0.2');
    const second = await changeIp('10.0.0.3');
    assert.deepEqual(errorOf(second)?.type, 'limit');
    assert.deepEqual(errorOf(second)?.object, 'ip');
    assert.equal(await readField('ip'), '10.0.0.2');
  });

  it('counts calendar months (UTC), not 30 days', async () => {
    sandbox.clock.set(new Date('2026-03-31T23:59:00Z'));
    assert.equal(errorOf(await changeIp('10.0.0.2')), undefined);
    sandbox.clock.set(new Date('2026-04-01T00:00:30Z'));
    assert.equal(errorOf(await changeIp('10.0.0.3')), undefined);
    sandbox.clock.set(new Date('2026-04-30T23:00:00Z'));
    assert.equal(errorOf(await changeIp('10.0.0.4'))?.object, 'ip');
  });

  it('does not count setting the same IP as a change', async () => {
    assert.equal(errorOf(await changeIp('10.0.0.1')), undefined);
    assert.equal(sandbox.licenses()[0]?.ipChangedAt, null);
    assert.equal(errorOf(await changeIp('10.0.0.2')), undefined);
    assert.equal(errorOf(await changeIp('10.0.0.2')), undefined, 'same IP again during the cooldown is fine');
  });

  it('refuses an invalid IP', async () => {
    const reply = await changeIp('not-an-ip');
    assert.deepEqual(errorOf(reply)?.type, 'value');
    assert.deepEqual(errorOf(reply)?.object, 'ip');
  });

  it('renames without limit', async () => {
    for (const name of ['a', 'b', 'c']) {
      assert.equal(errorOf(await client.call('soft.edit', { elid: id, licname: name, sok: 'ok' })), undefined);
    }
    assert.equal(await readField('licname'), 'c');
  });

  it('applies IP and name together, or neither when one is refused', async () => {
    assert.equal(
      errorOf(await client.call('soft.edit', { elid: id, ip: '10.0.0.2', licname: 'x', sok: 'ok' })),
      undefined,
    );
    const refused = await client.call('soft.edit', { elid: id, ip: '10.0.0.3', licname: 'y', sok: 'ok' });
    assert.deepEqual(errorOf(refused)?.object, 'ip');
    assert.equal(await readField('licname'), 'x');
  });

  it('regenerates a never-regenerated key at once, then once a month', async () => {
    const original = await readField('lickey');
    assert.equal((await newKey()).doc.ok, '');
    const renewed = await readField('lickey');
    assert.notEqual(renewed, original);
    const refused = await newKey();
    assert.deepEqual(errorOf(refused)?.type, 'limit');
    assert.deepEqual(errorOf(refused)?.object, 'lickey');
    assert.equal(await readField('lickey'), renewed);
    sandbox.clock.set(new Date('2026-04-15T11:59:00Z'));
    assert.equal(errorOf(await newKey())?.object, 'lickey', 'not yet a month');
    sandbox.clock.set(new Date('2026-04-15T12:00:01Z'));
    assert.equal(errorOf(await newKey()), undefined);
    assert.notEqual(await readField('lickey'), renewed);
  });

  it('keeps key and IP cooldowns apart', async () => {
    assert.equal(errorOf(await changeIp('10.0.0.2')), undefined);
    assert.equal(errorOf(await newKey()), undefined);
    sandbox.clock.advance(20 * DAY_MS);
    assert.equal(errorOf(await changeIp('10.0.0.3')), undefined, 'April: a new calendar month');
    assert.equal(errorOf(await newKey())?.object, 'lickey', 'but not a month since the last key');
  });

  it('does nothing, successfully, when sok=ok carries no change', async () => {
    const before = sandbox.licenses()[0];
    assert.equal((await client.call('soft.edit', { elid: id, sok: 'ok' })).doc.ok, '');
    assert.deepEqual(sandbox.licenses()[0], before);
  });

  it('answers missing/elid for an unknown or absent elid', async () => {
    assert.deepEqual(errorOf(await client.read('123')), {
      type: 'missing',
      object: 'elid',
      msg: 'License 123 not found',
    });
    assert.equal(errorOf(await client.call('soft.edit', {}))?.object, 'elid');
    assert.equal(errorOf(await client.call('soft.edit', { elid: '123', ip: '10.0.0.9', sok: 'ok' }))?.type, 'missing');
  });
});
