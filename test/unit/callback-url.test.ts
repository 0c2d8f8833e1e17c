import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertOutboundUrlAllowed } from '../../src/config/callback-url';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';

describe('platform.callbackUrl: https in production, plain http only to loopback', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-url-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function loadWith(callbackUrl: string, nodeEnv: string) {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ platform: { callbackUrl } }));
    return () => loadConfig({ configPath: file, cwd: dir, env: { NODE_ENV: nodeEnv } });
  }

  it('production refuses a plain-http callback URL to another host, naming the field', () => {
    assert.throws(
      loadWith('http://billing.example.net/callbacks', 'production'),
      (error: unknown) => error instanceof ConfigError && /platform\.callbackUrl/.test(error.message),
    );
  });

  it('production accepts https, and plain http to a loopback address', () => {
    for (const url of [
      'https://billing.example.net/cb',
      'http://127.0.0.1:9000/cb',
      'http://[::1]/cb',
      'http://localhost/cb',
    ])
      assert.doesNotThrow(() => assertOutboundUrlAllowed('platform.callbackUrl', url, 'production'), url);
  });

  it('development allows plain http anywhere; no environment allows other schemes', () => {
    assert.doesNotThrow(() =>
      assertOutboundUrlAllowed('platform.callbackUrl', 'http://billing.example.net/cb', 'development'),
    );
    assert.throws(
      () => assertOutboundUrlAllowed('platform.callbackUrl', 'ftp://billing.example.net/cb', 'development'),
      ConfigError,
    );
  });

  it('the same rule holds for alerts.webhookUrl, naming that field', () => {
    const file = path.join(dir, 'alerts.json');
    fs.writeFileSync(file, JSON.stringify({ alerts: { webhookUrl: 'http://alerts.example.net/hook' } }));
    assert.throws(
      () => loadConfig({ configPath: file, cwd: dir, env: { NODE_ENV: 'production' } }),
      (error: unknown) => error instanceof ConfigError && /^alerts\.webhookUrl: must be https/.test(error.message),
    );
    assert.doesNotThrow(() =>
      assertOutboundUrlAllowed('alerts.webhookUrl', 'http://127.0.0.1:9000/hook', 'production'),
    );
  });
});
