import assert from 'node:assert/strict';
import type { SandboxHandle, SandboxLicense } from '../../src/sandbox/server';
import { ApiClient, DAY_MS, control, elemsOf, errorOf, startTestSandbox } from './helpers';

type LicenseReply = { license: SandboxLicense };
type ErrorReply = { error: { code: string } };

describe('sandbox: licenses changed behind the service’s back (control API)', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  const create = async (body: object) => {
    const reply = await control(sandbox, 'POST', '/licenses', body);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return (reply.body as LicenseReply).license;
  };
  const listed = async () => elemsOf(await client.call('soft'));
  /** What the call log says the account performed (the test's own reads included). */
  const performedFuncs = () =>
    sandbox
      .calls()
      .filter((call) => call.performed)
      .map((call) => call.func);

  it('creates a license of BILLmanager’s own pool by default: free.lic on 0.0.0.0, active, 12 months, free', async () => {
    const license = await create({ pricelist: '3541' });
    assert.equal(license.licname, 'free.lic');
    assert.equal(license.ip, '0.0.0.0');
    assert.equal(license.status, 2);
    assert.equal(license.expiredate, '2027-03-15');
    assert.match(license.lickey, /^[0-9A-F]{32}$/);
    assert.equal(sandbox.balance(), 1000, 'nothing charged');
    const read = await client.read(license.id);
    assert.equal(read.doc.licname, 'free.lic');
    assert.equal(read.doc.ip, '0.0.0.0');
    assert.equal(read.doc.lickey, license.lickey);
    assert.deepEqual(
      (await listed()).map((elem) => [elem.id, elem.licname, elem.status]),
      [[license.id, 'free.lic', '2']],
    );
    assert.deepEqual(performedFuncs(), ['soft.edit', 'soft'], 'the creation is not an API call of the account');
  });

  it('creates a license ordered by hand: price list, period, expiry, IP, name, status', async () => {
    const license = await create({
      pricelist: '4601',
      period: 1,
      expiredate: '2026-05-01',
      ip: '198.51.100.7',
      licname: 'ordered by hand',
      remoteid: 'panel-77',
      status: 'suspended',
    });
    const read = await client.read(license.id);
    assert.deepEqual(
      [read.doc.pricelist, read.doc.expiredate, read.doc.ip, read.doc.licname, read.doc.status, read.doc.remoteid],
      ['4601', '2026-05-01', '198.51.100.7', 'ordered by hand', '3', 'panel-77'],
    );
    assert.equal(errorOf(await client.call('soft.resume', { elid: license.id })), undefined, 'a normal license');
    assert.equal((await client.read(license.id)).doc.status, '2');
  });

  it('edits a live license: expiry, IP, status, name, price list; without using the month’s IP change', async () => {
    const id = await client.order({ ip: '10.0.0.1' });
    const reply = await control(sandbox, 'PATCH', `/licenses/${id}`, {
      expiredate: '2026-03-20',
      ip: '10.0.0.2',
      status: 'suspended',
      licname: 'renamed upstream',
      pricelist: '4601',
    });
    assert.equal(reply.status, 200);
    const read = await client.read(id);
    assert.deepEqual(
      [read.doc.expiredate, read.doc.ip, read.doc.status, read.doc.licname, read.doc.pricelist],
      ['2026-03-20', '10.0.0.2', '3', 'renamed upstream', '4601'],
    );
    assert.equal(errorOf(await client.call('soft.edit', { elid: id, ip: '10.0.0.3', sok: 'ok' })), undefined);
    sandbox.clock.advance(6 * DAY_MS);
    assert.equal((await client.read(id)).doc.status, '3', 'unpaid from the new expiry on');
    assert.deepEqual(
      performedFuncs(),
      ['soft.order.param', 'soft.edit', 'soft.edit', 'soft.edit'],
      'the order, two reads and one IP change; the edit behind its back is not there',
    );
  });

  it('deletes a live license: gone from soft and soft.edit, and never an API call', async () => {
    const id = await client.order();
    const reply = await control(sandbox, 'DELETE', `/licenses/${id}`);
    assert.equal(reply.status, 200);
    assert.equal((reply.body as LicenseReply).license.deleted, true);
    assert.equal(errorOf(await client.read(id))?.type, 'missing');
    assert.deepEqual(await listed(), []);
    assert.ok(!sandbox.calls().some((call) => call.func === 'soft.delete'));
    const again = await control(sandbox, 'DELETE', `/licenses/${id}`);
    assert.equal(again.status, 404);
    assert.equal((again.body as ErrorReply).error.code, 'unknown_license');
  });

  it('refuses unknown licenses (404) and bad input (400), changing nothing', async () => {
    const id = await client.order();
    for (const [method, path, body] of [
      ['PATCH', '/licenses/1', { ip: '10.0.0.9' }],
      ['DELETE', '/licenses/1', undefined],
    ] as const) {
      const reply = await control(sandbox, method, path, body);
      assert.equal(reply.status, 404, `${method} ${path}`);
    }
    for (const [method, path, body] of [
      ['POST', '/licenses', {}],
      ['POST', '/licenses', { pricelist: 'ispmanager' }],
      ['POST', '/licenses', { pricelist: '3541', ip: 'not-an-ip' }],
      ['POST', '/licenses', { pricelist: '3541', period: 'forever' }],
      ['POST', '/licenses', { pricelist: '3541', username: 'nobody' }],
      ['PATCH', `/licenses/${id}`, { expiredate: '2026-02-30' }],
      ['PATCH', `/licenses/${id}`, { status: 'deleted' }],
      ['PATCH', `/licenses/${id}`, { owner: 'someone' }],
    ] as const) {
      const reply = await control(sandbox, method, path, body);
      assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal((reply.body as ErrorReply).error.code, 'invalid_license');
    }
    assert.equal(sandbox.licenses().length, 1);
    assert.equal((await client.read(id)).doc.ip, '10.0.0.1');
  });

  it('does the same in process through the handle', async () => {
    const created = sandbox.createLicense({ pricelist: '3541', ip: '203.0.113.5', licname: 'by hand' });
    assert.equal(sandbox.editLicense(created.id, { expiredate: '2026-12-31' }).expiredate, '2026-12-31');
    assert.equal((await client.read(created.id)).doc.expiredate, '2026-12-31');
    sandbox.deleteLicense(created.id);
    assert.throws(() => sandbox.deleteLicense(created.id), /No live license/);
    assert.deepEqual(performedFuncs(), ['soft.edit']);
  });
});
