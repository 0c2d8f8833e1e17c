import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { UpstreamProtocolError, UpstreamUnavailableError } from '../../../src/domain/upstream-errors';
import {
  API_PATH,
  ORIGIN,
  SESSION,
  assertNoSecret,
  createModule,
  fixture,
  loggedInScope,
  rejectionOf,
  renderError,
  useNock,
} from './helpers';

const auth = SESSION;
const suspendForm = { out: 'xml', func: 'soft.suspend', auth, elid: '7001' };

describe('billmanager api client: transport failures', () => {
  useNock();

  it('a reply slower than timeoutMs is UpstreamUnavailableError (retryable)', async () => {
    const scope = loggedInScope().post(API_PATH, suspendForm).delay(3000).reply(200, fixture('ok.xml'));
    const startedAt = Date.now();
    const error = await rejectionOf(createModule({ timeoutMs: 200 }).suspend({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamUnavailableError, String(error));
    assert.equal(error.retryable, true);
    assert.match(error.message, /within 200 ms/);
    assert.ok(Date.now() - startedAt < 2000);
    assertNoSecret(renderError(error));
    scope.done();
  });

  it('a login slower than timeoutMs is UpstreamUnavailableError', async () => {
    const scope = nock(ORIGIN).post(API_PATH).delay(3000).reply(200, fixture('auth-ok.xml'));
    const error = await rejectionOf(createModule({ timeoutMs: 200 }).checkConnection());
    assert.ok(error instanceof UpstreamUnavailableError);
    assertNoSecret(renderError(error));
    scope.done();
  });

  for (const status of [500, 502, 503, 504, 429]) {
    it(`HTTP ${status} is UpstreamUnavailableError, whatever the body`, async () => {
      const scope = loggedInScope().post(API_PATH, suspendForm).reply(status, fixture('ok.xml'));
      const error = await rejectionOf(createModule().suspend({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamUnavailableError);
      assert.match(error.message, new RegExp(`HTTP ${status}`));
      scope.done();
    });
  }

  for (const status of [404, 403, 302]) {
    it(`HTTP ${status} is UpstreamProtocolError (a wrong URL, not a passing outage)`, async () => {
      const scope = loggedInScope()
        .post(API_PATH, suspendForm)
        .reply(status, fixture('ok.xml'), { Location: 'https://elsewhere.example.test/' });
      const error = await rejectionOf(createModule().suspend({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamProtocolError);
      scope.done();
    });
  }

  it('a dropped connection is UpstreamUnavailableError without the request in its cause', async () => {
    const scope = loggedInScope()
      .post(API_PATH, suspendForm)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await rejectionOf(createModule().suspend({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamUnavailableError);
    assert.match(error.message, /ECONNRESET/);
    assert.ok(error.cause instanceof Error);
    assert.equal(Object.keys(error.cause).length, 0, 'the cause is a bare Error, not an AxiosError with config');
    assertNoSecret(renderError(error));
    scope.done();
  });

  it('a dropped login is UpstreamUnavailableError without the password anywhere', async () => {
    const scope = nock(ORIGIN)
      .post(API_PATH)
      .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const error = await rejectionOf(createModule().checkConnection());
    assert.ok(error instanceof UpstreamUnavailableError);
    assertNoSecret(renderError(error));
    scope.done();
  });

  it('a 10 MB reply is refused as UpstreamProtocolError without reading it all', async () => {
    const huge = `<doc><ok/><id>1</id><pad>${'x'.repeat(10 * 1024 * 1024)}</pad></doc>`;
    const scope = loggedInScope().post(API_PATH, suspendForm).reply(200, huge);
    const error = await rejectionOf(createModule().suspend({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamProtocolError, String(error));
    assert.match(error.message, /larger than 1048576 bytes/);
    scope.done();
  });

  it('a gzip bomb is capped after decompression', async () => {
    const bomb = gzipSync(`<doc><ok/>${' '.repeat(20 * 1024 * 1024)}</doc>`);
    assert.ok(bomb.length < 100 * 1024);
    const scope = loggedInScope()
      .post(API_PATH, suspendForm)
      .reply(200, bomb, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/xml' });
    const error = await rejectionOf(createModule().suspend({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamProtocolError, String(error));
    scope.done();
  });

  it('maxResponseBytes is configurable', async () => {
    const reply = `<doc><ok/><!-- ${'x'.repeat(3000)} --></doc>`;
    const scope = loggedInScope().post(API_PATH, suspendForm).reply(200, reply);
    const error = await rejectionOf(createModule({ maxResponseBytes: 2048 }).suspend({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamProtocolError);
    scope.done();

    const fits = loggedInScope().post(API_PATH, suspendForm).reply(200, reply);
    await createModule({ maxResponseBytes: 4096 }).suspend({ upstreamId: '7001' });
    fits.done();
  });
});
