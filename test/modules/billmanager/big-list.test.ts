import assert from 'node:assert/strict';
import { UpstreamProtocolError } from '../../../src/domain/upstream-errors';
import type { SandboxHandle } from '../../../src/sandbox/server';
import { rejectionOf } from './helpers';
import { countCalls, moduleFor, useSandbox } from './sandbox-helpers';

const LICENSES = 20_000;

/** Fills the account behind the API's back (no order calls): IPv4, a service-like name, the service's reference. */
function fillAccount(sandbox: SandboxHandle, count: number): void {
  for (let i = 0; i < count; i++) {
    sandbox.createLicense({
      pricelist: '3541',
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      licname: `vps-${i} vps${i}.example.net`,
      remoteid: `3f62da0b-1c2d-4e5f-8a9b-${String(i).padStart(12, '0')}.order.0`,
    });
  }
}

describe('billmanager module: a big account’s license list', () => {
  const sandbox = useSandbox();

  it(`lists ${LICENSES} licenses in one func=soft call within the default list cap`, async () => {
    fillAccount(sandbox(), LICENSES);
    const module = moduleFor(sandbox(), { auth: 'authinfo' });
    const listed = await module.list();
    assert.equal(listed.length, LICENSES);
    assert.equal(new Set(listed.map((license) => license.upstreamId)).size, LICENSES);
    const last = listed.find((license) => license.name === `vps-${LICENSES - 1} vps${LICENSES - 1}.example.net`);
    assert.equal(last?.reference, `3f62da0b-1c2d-4e5f-8a9b-${String(LICENSES - 1).padStart(12, '0')}.order.0`);
    assert.equal(countCalls(sandbox(), 'soft'), 1, 'one call, no paging');
  });

  it('refuses a list larger than listMaxResponseBytes, whatever maxResponseBytes says', async () => {
    fillAccount(sandbox(), 5_000); // about 1.2 MB of list
    const module = moduleFor(sandbox(), {
      auth: 'authinfo',
      maxResponseBytes: 64 * 1024 * 1024,
      listMaxResponseBytes: 1024 * 1024,
    });
    const error = await rejectionOf(module.list());
    assert.ok(error instanceof UpstreamProtocolError);
    assert.match(error.message, /soft is larger than 1048576 bytes/);
  });

  it('reads the list (and checks the connection) past maxResponseBytes: the list has a cap of its own', async () => {
    fillAccount(sandbox(), 20); // about 5 KB of list
    const module = moduleFor(sandbox(), { auth: 'authinfo', maxResponseBytes: 1024 });
    assert.equal((await module.list()).length, 20);
    await module.checkConnection();
  });
});
