import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { KnexLicenseStore, type PoolClaim } from '../../src/db/license-store';
import { passwordLocation } from '../../src/db/licensing-server-store';
import { SecretBox } from '../../src/security/secret-box';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../helpers/database';

/**
 * Two workers claim from the pool at the same moment and both read the same pooled license as a candidate: only one
 * may get it (I2). On PostgreSQL the second claim's UPDATE waits for the first transaction's row lock and then must
 * find the row no longer `pooled`. (SQLite runs one write transaction at a time, `BEGIN IMMEDIATE`, so two claims
 * cannot interleave there; the lifecycle tests cover the pool on both databases.)
 */
describe('two pool claims racing for one license (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: KnexLicenseStore;
  const now = new Date();
  const by = { actor: 'worker', at: now };

  before(function () {
    if (testDatabaseKind() !== 'postgres') this.skip();
  });

  beforeEach(async () => {
    database = await createTestDatabase();
    const box = new SecretBox(crypto.randomBytes(32));
    store = new KnexLicenseStore(database.db, box);
    const at = now.toISOString();
    await database.db('licensing_servers').insert({
      key: 'isp',
      module: 'billmanager',
      url: 'https://billing.example.net/billmgr',
      username: 'reseller',
      password_encrypted: box.encrypt('race-password', passwordLocation('isp')),
      settings: '{}',
      created_at: at,
      updated_at: at,
    });
    await store.adopted(
      {
        id: 'pooled-1',
        licensingServer: 'isp',
        upstreamId: '1001',
        priceList: '3541',
        period: 12,
        ip: '198.51.100.1',
        name: 'old holder',
        status: 'suspended',
        paidUntil: new Date(now.getTime() + 200 * 86_400_000),
        activationKey: null,
      },
      by,
    );
  });

  afterEach(async () => {
    await database?.destroy();
  });

  const claimFor = (serviceId: string): PoolClaim => ({
    licensingServer: 'isp',
    priceList: '3541',
    avoided: { price: null, tariffPlan: null, period: 12 },
    paidAfter: now,
    ip: `203.0.113.${serviceId.length}`,
    ipChangeCutoff: new Date(now.getTime() - 40 * 86_400_000),
    keyCutoff: new Date(now.getTime() - 31 * 86_400_000),
    operationId: `op-${serviceId}`,
    serviceId,
  });

  it('the claim that commits first wins; the other finds the license taken and gets nothing', async () => {
    const first = await database.db.transaction();
    const won = await store.claimFromPool(claimFor('vps-a'), by, [], first);
    assert.equal(won?.id, 'pooled-1');
    // The second claim reads the license as pooled (the first is not committed) and blocks on its row lock.
    const second = store.claimFromPool(claimFor('vps-bb'), by);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.commit();
    assert.equal(await second, null, 'the same license given to a second service');
    const row = await store.get('pooled-1');
    assert.equal(row?.state, 'reserved');
    assert.equal(row?.serviceId, 'vps-a');
    assert.equal(row?.operationId, 'op-vps-a');
  });
});
