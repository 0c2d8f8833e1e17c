import assert from 'node:assert/strict';
import { SecretUnreadableError } from '../../src/errors';
import { pooledLicense } from '../helpers/secrets';
import { startTestService, type TestService } from '../helpers/service';

const server = {
  module: 'billmanager',
  url: 'https://licenses.example.net/billmgr',
  username: 'reseller',
  settings: { periodCodes: { lifetime: -100 } },
};

async function rejectsAsUnreadable(promise: Promise<unknown>, where: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SecretUnreadableError, String(error));
    assert.ok(error.message.startsWith(where), error.message);
    return true;
  });
}

/** Each secret is bound to its table, column and row: a stored value moved elsewhere in the database is refused. */
describe('secrets at rest are bound to where they are stored', () => {
  let service: TestService;

  beforeEach(async () => {
    service = await startTestService({}, 'api');
    for (const [key, password] of [
      ['isp', 'password-of-isp'],
      ['isp2', 'password-of-isp2'],
    ]) {
      const put = await service.request('PUT', `/v1/admin/licensing-servers/${key}`, { body: { ...server, password } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
    }
    const now = new Date();
    const by = { actor: 'admin', at: now };
    await service.stores.licenses.adopted(pooledLicense('L1', 'KEY-OF-L1'), by);
    await service.stores.licenses.adopted(pooledLicense('L2', 'KEY-OF-L2'), by);
    await service.stores.licenses.adopted(pooledLicense('isp', null), by);
  });
  afterEach(async () => {
    await service.close();
  });

  const column = (table: string, column: string, idColumn: string, id: string) =>
    service.database
      .db(table)
      .where(idColumn, id)
      .first()
      .then((row) => row[column] as string);

  it('an activation key copied to another license does not decrypt there', async () => {
    assert.equal((await service.stores.licenses.get('L2'))?.activationKey, 'KEY-OF-L2');
    const keyOfL1 = await column('licenses', 'activation_key_encrypted', 'id', 'L1');
    await service.database.db('licenses').where({ id: 'L2' }).update({ activation_key_encrypted: keyOfL1 });
    await rejectsAsUnreadable(service.stores.licenses.get('L2'), 'licenses.activation_key_encrypted of row "L2"');
    assert.equal((await service.stores.licenses.get('L1'))?.activationKey, 'KEY-OF-L1');
  });

  it('a password copied to another licensing server does not decrypt there, and its check says so', async () => {
    const passwordOfIsp = await column('licensing_servers', 'password_encrypted', 'key', 'isp');
    await service.database.db('licensing_servers').where({ key: 'isp2' }).update({ password_encrypted: passwordOfIsp });
    await rejectsAsUnreadable(
      service.catalog.connectionOf('isp2'),
      'licensing_servers.password_encrypted of row "isp2"',
    );
    assert.equal((await service.catalog.connectionOf('isp')).password, 'password-of-isp');
    const check = await service.request('POST', '/v1/admin/licensing-servers/isp2/check');
    assert.equal(check.status, 200);
    assert.equal(check.body.ok, false);
    assert.equal(JSON.stringify(check.body).includes('password-of-isp'), false);
  });

  it('a password copied into the activation-key column of a row with the same id does not decrypt there', async () => {
    const passwordOfIsp = await column('licensing_servers', 'password_encrypted', 'key', 'isp');
    await service.database.db('licenses').where({ id: 'isp' }).update({ activation_key_encrypted: passwordOfIsp });
    await rejectsAsUnreadable(service.stores.licenses.get('isp'), 'licenses.activation_key_encrypted of row "isp"');
  });
});
