import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { startHttpServer } from '../../src/infra/http-server';
import { startTestService, type TestService } from '../helpers/service';

/** A self-signed certificate for 127.0.0.1 and localhost, made with the `openssl` binary. */
function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

/** GET over HTTPS trusting only `ca`. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('serving the API: HTTPS from http.tls, and where development binds', () => {
  let dir: string;
  let service: TestService | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-http-'));
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with the configured certificate and reports an https url', async function () {
    this.timeout(60_000);
    const tls = selfSignedCertificate(dir);
    service = await startTestService({ http: { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024, tls } });
    assert.match(service.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${service.url}/healthz`, fs.readFileSync(tls.certFile));
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    await assert.rejects(fetch(`${service.url.replace('https:', 'http:')}/healthz`), 'no plain HTTP on that port');
  });

  it('refuses to start when the TLS key does not match a usable pair, naming the fields', async () => {
    const tls = selfSignedCertificate(dir);
    fs.writeFileSync(tls.keyFile, 'not a key');
    await assert.rejects(
      startHttpServer(() => undefined, { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024, tls }),
      /http\.tls\.certFile and http\.tls\.keyFile/,
    );
  });

  it('binds 127.0.0.1 in development when http.host is not set', async () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ http: { port: 0 } }));
    const { config } = loadConfig({ cwd: dir, env: {}, configPath: 'config.json', defaultEnv: 'development' });
    const listening = await startHttpServer((_req, res) => res.end('ok'), config.http);
    try {
      assert.equal((listening.server.address() as AddressInfo).address, '127.0.0.1');
    } finally {
      await listening.close();
    }
  });
});
