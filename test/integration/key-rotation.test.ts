import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KnexLicenseStore } from '../../src/db/license-store';
import { reencryptSecrets } from '../../src/db/secret-rotation';
import { RotationRefusedError, SecretUnreadableError } from '../../src/errors';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/server';
import { SecretBox } from '../../src/security/secret-box';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { legacyV1Envelope, pooledLicense } from '../helpers/secrets';
import { startTestService } from '../helpers/service';
import { CONFIG_ENV } from '../helpers/worker-process';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SANDBOX_PASSWORD = 'Sandb0x-rotation pass&word';
const SERVERS = ['isp', 'isp-backup'];
/** The activation keys the seeded licenses hold; L3 has none, L4 was written by the v1 envelope. */
const KEYS: Record<string, string | null> = { L1: 'KEY-AAAA-0001', L2: 'KEY-BBBB-0002', L3: null, L4: 'KEY-OLD-V1' };
/** 2 passwords and 3 activation keys: what a rotation of the seed re-encrypts. */
const SEEDED_SECRETS = 5;

/** Every stored envelope, to prove that a refused rotation changed nothing. */
async function storedEnvelopes(database: TestDatabase): Promise<unknown> {
  return {
    servers: await database.db('licensing_servers').orderBy('key').select('key', 'password_encrypted'),
    licenses: await database.db('licenses').orderBy('id').select('id', 'activation_key_encrypted'),
  };
}

describe('key rotation: ENCRYPTION_KEY_PREVIOUS and npm run rotate-key', () => {
  const K1 = crypto.randomBytes(32);
  const K2 = crypto.randomBytes(32);
  let sandbox: SandboxHandle;
  let database: TestDatabase;

  beforeEach(async () => {
    sandbox = await startSandbox({ accounts: [{ username: 'reseller', password: SANDBOX_PASSWORD }] });
    database = await createTestDatabase();
    await seedUnder(K1);
  });
  afterEach(async () => {
    await database.destroy();
    await sandbox.close();
  });

  /** Through a service running with K1 only: the licensing servers by the admin API, the licenses by the store. */
  async function seedUnder(key: Buffer): Promise<void> {
    const service = await startTestService({ database: { url: database.url }, encryptionKey: key }, 'api');
    try {
      for (const server of SERVERS) {
        const put = await service.request('PUT', `/v1/admin/licensing-servers/${server}`, {
          body: {
            module: 'billmanager',
            url: sandbox.apiUrl,
            username: 'reseller',
            password: SANDBOX_PASSWORD,
            settings: { periodCodes: { lifetime: -100, trial: -50 } },
          },
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));
      }
      for (const id of Object.keys(KEYS))
        await service.stores.licenses.adopted(pooledLicense(id, id === 'L4' ? null : KEYS[id]!), {
          actor: 'admin',
          at: new Date(),
        });
    } finally {
      await service.close();
    }
    await database
      .db('licenses')
      .where({ id: 'L4' })
      .update({ activation_key_encrypted: legacyV1Envelope(key, KEYS.L4!) });
  }

  /** A service with K2 alone: every licensing server's check is green and every activation key reads back as stored. */
  async function assertEverythingReadableWithOnly(key: Buffer): Promise<void> {
    const service = await startTestService({ database: { url: database.url }, encryptionKey: key }, 'api');
    try {
      for (const server of SERVERS) {
        const check = await service.request('POST', `/v1/admin/licensing-servers/${server}/check`);
        assert.deepEqual(
          { server, status: check.status, body: check.body },
          { server, status: 200, body: { ok: true } },
        );
      }
      const listed = await service.request('GET', '/v1/admin/licenses?limit=100');
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const keys = Object.fromEntries(
        listed.body.items.map((item: { id: string; activationKey: string | null }) => [item.id, item.activationKey]),
      );
      assert.deepEqual(keys, KEYS);
    } finally {
      await service.close();
    }
  }

  it('re-encrypts every password and activation key under the new key; then the new key alone reads them all', async () => {
    await assert.rejects(new KnexLicenseStore(database.db, new SecretBox(K2)).get('L1'), SecretUnreadableError);

    const report = await reencryptSecrets(database.db, new SecretBox(K2, K1));
    assert.equal(report.reencrypted, SEEDED_SECRETS);
    assert.equal(report.alreadyCurrent, 0);
    assert.deepEqual(report.columns, [
      { column: 'licensing_servers.password_encrypted', reencrypted: 2, alreadyCurrent: 0 },
      { column: 'licenses.activation_key_encrypted', reencrypted: 3, alreadyCurrent: 0 },
    ]);
    const again = await reencryptSecrets(database.db, new SecretBox(K2));
    assert.deepEqual([again.reencrypted, again.alreadyCurrent], [0, SEEDED_SECRETS]);

    await assertEverythingReadableWithOnly(K2);
  });

  it('npm run rotate-key does the same from the configuration, run as its own process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-rotate-'));
    try {
      const configFile = path.join(dir, 'config.json');
      const config = { env: 'test', varDir: path.join(dir, 'var'), database: { url: database.url } };
      fs.writeFileSync(configFile, JSON.stringify(config));
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of CONFIG_ENV) delete env[name];
      env.ENCRYPTION_KEY = K2.toString('hex');
      env.ENCRYPTION_KEY_PREVIOUS = K1.toString('base64');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--require', 'tsx/cjs', 'src/cli/rotate-key.ts', '--config', configFile],
        { cwd: REPO_ROOT, env, timeout: 20_000 },
      );
      assert.match(stdout, /licensing_servers\.password_encrypted: 2 re-encrypted, 0 already current/);
      assert.match(stdout, /licenses\.activation_key_encrypted: 3 re-encrypted, 0 already current/);
      assert.match(stdout, new RegExp(`done: ${SEEDED_SECRETS} re-encrypted, 0 already current`));
      assert.equal(stdout.includes(K1.toString('hex')) || stdout.includes(K2.toString('hex')), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await assertEverythingReadableWithOnly(K2);
  });

  it('a value that decrypts with neither key stops the rotation, names its row and changes nothing', async () => {
    const moved = await database.db('licenses').where({ id: 'L1' }).first();
    await database
      .db('licenses')
      .where({ id: 'L2' })
      .update({ activation_key_encrypted: moved.activation_key_encrypted });
    const strangerKey = new SecretBox(crypto.randomBytes(32));
    const stranger = strangerKey.encrypt('x', {
      table: 'licensing_servers',
      column: 'password_encrypted',
      rowId: 'isp-backup',
    });
    await database.db('licensing_servers').where({ key: 'isp-backup' }).update({ password_encrypted: stranger });
    const before = await storedEnvelopes(database);

    await assert.rejects(reencryptSecrets(database.db, new SecretBox(K2, K1)), (error: unknown) => {
      assert.ok(error instanceof RotationRefusedError, String(error));
      assert.match(error.message, /nothing was changed/);
      assert.match(error.message, /licenses\.activation_key_encrypted of row "L2"/);
      assert.match(
        error.message,
        new RegExp(`password_encrypted of row "isp-backup": made by key ${strangerKey.keyId}`),
      );
      assert.equal(error.unreadable.length, 2);
      return true;
    });
    assert.deepEqual(await storedEnvelopes(database), before);
  });
});
