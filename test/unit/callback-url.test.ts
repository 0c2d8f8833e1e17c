import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertCallbackUrlAllowed } from '../../src/config/callback-url';
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
      assert.doesNotThrow(() => assertCallbackUrlAllowed(url, 'production'), url);
  });

  it('development allows plain http anywhere; no environment allows other schemes', () => {
    assert.doesNotThrow(() => assertCallbackUrlAllowed('http://billing.example.net/cb', 'development'));
    assert.throws(() => assertCallbackUrlAllowed('ftp://billing.example.net/cb', 'development'), ConfigError);
  });
});
