import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { generateEncryptionKey } from '../../src/security/secret-box';

const PRODUCTION_SECRETS = {
  NODE_ENV: 'production',
  HOOK_SECRET: 'hook-secret-0123456789abcdef',
  ENCRYPTION_KEY: generateEncryptionKey(),
};

describe('bearer tokens in the configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-tokens-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Loads `file` as the configuration file with exactly `env` as the environment. */
  function load(file: object, env: NodeJS.ProcessEnv) {
    const configPath = path.join(dir, 'config.json');
    fs.writeFileSync(configPath, JSON.stringify({ varDir: path.join(dir, 'var'), ...file }));
    return loadConfig({ configPath, env, cwd: dir }).config;
  }

  function refused(file: object, env: NodeJS.ProcessEnv, message: RegExp) {
    assert.throws(
      () => load(file, env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  }

  it('takes auth.tokens and ADMIN_TOKEN, PLATFORM_TOKEN, VIEWER_TOKEN with their fixed names and roles', () => {
    const config = load(
      { auth: { tokens: [{ name: 'billing', role: 'platform', token: 'billing-token-0123456789' }] } },
      {
        ...PRODUCTION_SECRETS,
        ADMIN_TOKEN: 'admin-token-0123456789',
        PLATFORM_TOKEN: 'platform-token-0123456789',
        VIEWER_TOKEN: 'viewer-token-0123456789',
      },
    );
    assert.deepEqual(config.auth.tokens, [
      { name: 'billing', role: 'platform', token: 'billing-token-0123456789' },
      { name: 'admin', role: 'admin', token: 'admin-token-0123456789' },
      { name: 'platform', role: 'platform', token: 'platform-token-0123456789' },
      { name: 'viewer', role: 'viewer', token: 'viewer-token-0123456789' },
    ]);
  });

  it('refuses a name given twice, in the file or by the file and the environment', () => {
    const alice = { name: 'alice', role: 'admin', token: 'alice-token-0123456789' };
    refused(
      { auth: { tokens: [alice, { ...alice, role: 'viewer', token: 'other-token-0123456789' }] } },
      PRODUCTION_SECRETS,
      /auth\.tokens: the name "alice" is given twice \(auth\.tokens\[0\] and auth\.tokens\[1\]\)/,
    );
    refused(
      { auth: { tokens: [{ name: 'admin', role: 'viewer', token: 'viewer-token-0123456789' }] } },
      { ...PRODUCTION_SECRETS, ADMIN_TOKEN: 'admin-token-0123456789' },
      /the name "admin" is given twice \(auth\.tokens\[0\] and ADMIN_TOKEN\)/,
    );
  });

  it('refuses one token value under two names', () => {
    refused(
      { auth: { tokens: [{ name: 'alice', role: 'viewer', token: 'shared-token-0123456789' }] } },
      { ...PRODUCTION_SECRETS, ADMIN_TOKEN: 'shared-token-0123456789' },
      /auth\.tokens\[0\] and ADMIN_TOKEN have the same token/,
    );
  });

  it('refuses a token shorter than 16 characters, naming the field or the variable', () => {
    refused(
      { auth: { tokens: [{ name: 'alice', role: 'admin', token: 'short' }] } },
      PRODUCTION_SECRETS,
      /auth\.tokens\.0\.token/,
    );
    refused({}, { ...PRODUCTION_SECRETS, VIEWER_TOKEN: 'short' }, /VIEWER_TOKEN: must be at least 16 characters/);
  });

  it('refuses production without an admin token, even with other tokens', () => {
    refused(
      { auth: { tokens: [{ name: 'billing', role: 'platform', token: 'billing-token-0123456789' }] } },
      { ...PRODUCTION_SECRETS, VIEWER_TOKEN: 'viewer-token-0123456789' },
      /missing secrets in production: an admin token \(ADMIN_TOKEN, or auth\.tokens with "role": "admin"\)/,
    );
    const config = load(
      { auth: { tokens: [{ name: 'ops', role: 'admin', token: 'ops-token-0123456789' }] } },
      PRODUCTION_SECRETS,
    );
    assert.deepEqual(
      config.auth.tokens.map((t) => [t.name, t.role]),
      [['ops', 'admin']],
    );
    assert.ok(!fs.existsSync(path.join(dir, 'var', 'secrets.json')), 'production generates nothing');
  });

  it('in development, generates an admin token named admin once into varDir when none is given', () => {
    const first = load({}, { NODE_ENV: 'development' });
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'var', 'secrets.json'), 'utf8'));
    assert.deepEqual(first.auth.tokens, [{ name: 'admin', role: 'admin', token: stored.adminToken }]);
    assert.deepEqual(load({}, { NODE_ENV: 'development' }).auth.tokens, first.auth.tokens, 'the same on a restart');
    const given = load({}, { NODE_ENV: 'development', ADMIN_TOKEN: 'admin-token-0123456789' });
    assert.deepEqual(given.auth.tokens, [{ name: 'admin', role: 'admin', token: 'admin-token-0123456789' }]);
  });

  it('refuses the retired admin.token field, saying what replaced it', () => {
    refused({ admin: { token: 'admin-token-0123456789' } }, PRODUCTION_SECRETS, /admin\.token: no longer read/);
  });
});
