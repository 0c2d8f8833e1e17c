import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';

/** Secrets a production configuration must be given. */
const PRODUCTION_SECRETS = {
  HOOK_SECRET: 'hook-secret-0123456789abcdef',
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  ENCRYPTION_KEY: 'ab'.repeat(32),
};

/** A catalog licensing server with the given settings (no network is used by loading a configuration). */
function catalogWith(settings: Record<string, unknown>) {
  return {
    licensingServers: [
      {
        key: 'isp',
        module: 'billmanager',
        url: 'https://licenses.example.net/billmgr',
        username: 'u',
        password: 'p',
        settings,
      },
    ],
  };
}

describe('loadConfig: environment, example file, bind address, worker timing, TLS files', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-config-'));
    // A recognisable example file: port 18080 shows that it was read.
    fs.writeFileSync(path.join(dir, 'config.example.json'), JSON.stringify({ http: { port: 18080 } }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(env: NodeJS.ProcessEnv, options: { configPath?: string; defaultEnv?: 'development' } = {}) {
    return loadConfig({ cwd: dir, env, ...options });
  }

  function writeConfig(content: unknown): string {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(content));
    return file;
  }

  it('refuses an unknown NODE_ENV, naming it', () => {
    for (const value of ['prod', 'Production', 'staging', 'dev']) {
      assert.throws(
        () => load({ NODE_ENV: value, ...PRODUCTION_SECRETS }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`NODE_ENV "${value}"`),
        value,
      );
    }
  });

  it('takes NODE_ENV, else the file, else the entry point default, and production when nobody says', () => {
    assert.equal(load({ ...PRODUCTION_SECRETS }).config.env, 'production');
    assert.equal(load({}, { defaultEnv: 'development' }).config.env, 'development');
    assert.equal(
      load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { defaultEnv: 'development' }).config.env,
      'production',
    );
    const file = writeConfig({ env: 'test' });
    assert.equal(load({}, { configPath: file }).config.env, 'test');
    assert.equal(
      load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { configPath: file }).config.env,
      'production',
    );
  });

  it('reads config.example.json in development only', () => {
    const development = load({}, { defaultEnv: 'development' });
    assert.equal(development.configFile, 'config.example.json');
    assert.equal(development.config.http.port, 18080);

    for (const env of [{ NODE_ENV: 'test' }, { NODE_ENV: 'production', ...PRODUCTION_SECRETS }, PRODUCTION_SECRETS]) {
      const loaded = load(env);
      assert.equal(loaded.configFile, null, JSON.stringify(env));
      assert.equal(loaded.config.http.port, 8080, 'the example file was not read');
    }
  });

  it('binds 127.0.0.1 in development unless http.host says otherwise, all interfaces elsewhere', () => {
    assert.equal(load({}, { defaultEnv: 'development' }).config.http.host, '127.0.0.1');
    assert.equal(load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }).config.http.host, '0.0.0.0');
    const file = writeConfig({ http: { host: '0.0.0.0' } });
    assert.equal(load({ NODE_ENV: 'development' }, { configPath: file }).config.http.host, '0.0.0.0');
  });

  it('refuses a reconcile delay or lease too short for the longest licensing-server timeout, naming both fields', () => {
    const cases = [
      { worker: { reconcileDelayMs: 39_999 }, catalog: catalogWith({}) },
      { worker: { leaseMs: 24_999 }, catalog: catalogWith({}) },
      { catalog: catalogWith({ timeoutMs: 20_000 }) },
    ];
    for (const content of cases) {
      const file = writeConfig(content);
      assert.throws(
        () => load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { configPath: file }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes('worker.reconcileDelayMs') &&
          error.message.includes('worker.leaseMs'),
        JSON.stringify(content),
      );
    }
    // The defaults (45 s, 60 s, 15 s) and the exact minimum pass.
    for (const content of [
      { catalog: catalogWith({}) },
      { worker: { reconcileDelayMs: 40_000, leaseMs: 25_000 }, catalog: catalogWith({ timeoutMs: 15_000 }) },
      { worker: { reconcileDelayMs: 1_000, leaseMs: 1_000 } },
    ]) {
      const file = writeConfig(content);
      assert.doesNotThrow(() => load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { configPath: file }));
    }
  });

  it('names the http.tls field whose file cannot be read', () => {
    fs.writeFileSync(path.join(dir, 'cert.pem'), 'not read here');
    const file = writeConfig({ http: { tls: { certFile: 'cert.pem', keyFile: 'missing-key.pem' } } });
    assert.throws(
      () => load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { configPath: file }),
      (error: unknown) =>
        error instanceof ConfigError && /http\.tls\.keyFile: cannot read .*missing-key\.pem/.test(error.message),
    );
    fs.writeFileSync(path.join(dir, 'missing-key.pem'), 'not read here');
    const loaded = load({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }, { configPath: file });
    assert.equal(loaded.config.http.tls?.certFile, path.join(dir, 'cert.pem'), 'relative paths resolved');
  });
});
