import assert from 'node:assert/strict';
import nock from 'nock';
import {
  UpstreamAuthError,
  UpstreamProtocolError,
  UpstreamUnavailableError,
} from '../../../src/domain/upstream-errors';
import {
  API_PATH,
  ORIGIN,
  PASSWORD,
  RENEWED_SESSION,
  RecordingLogger,
  SESSION,
  USERNAME,
  assertNoSecret,
  createClient,
  createModule,
  expectCall,
  expectLogin,
  loggedInScope,
  rejectionOf,
  renderError,
  useNock,
} from './helpers';

describe('billmanager api client: auth', () => {
  useNock();

  describe('session mode', () => {
    it('logs in with func=auth&username&password, then sends auth=<id>', async () => {
      const scope = expectCall(loggedInScope(), { func: 'soft.suspend', auth: SESSION, elid: '1' }, 'ok.xml');
      await createClient().call('soft.suspend', { elid: '1' });
      scope.done();
    });

    it('reuses the session across calls', async () => {
      const scope = loggedInScope();
      for (const elid of ['1', '2', '3']) expectCall(scope, { func: 'soft.resume', auth: SESSION, elid }, 'ok.xml');
      const client = createClient();
      for (const elid of ['1', '2', '3']) await client.call('soft.resume', { elid });
      scope.done();
    });

    it('concurrent first calls share one login', async () => {
      const scope = nock(ORIGIN);
      expectLogin(scope);
      for (const elid of ['1', '2', '3', '4'])
        expectCall(scope, { func: 'soft.resume', auth: SESSION, elid }, 'ok.xml');
      const client = createClient();
      await Promise.all(['1', '2', '3', '4'].map((elid) => client.call('soft.resume', { elid })));
      scope.done();
    });

    it('renews a refused (expired) session once and repeats the call', async () => {
      const logger = new RecordingLogger();
      const scope = loggedInScope();
      expectCall(scope, { func: 'soft.resume', auth: SESSION, elid: '1' }, 'ok.xml');
      expectCall(scope, { func: 'soft.resume', auth: SESSION, elid: '2' }, 'error-auth-session.xml');
      expectLogin(scope, 'auth-ok-renewed.xml');
      expectCall(scope, { func: 'soft.resume', auth: RENEWED_SESSION, elid: '2' }, 'ok.xml');
      expectCall(scope, { func: 'soft.resume', auth: RENEWED_SESSION, elid: '3' }, 'ok.xml');
      const client = createClient({}, logger);
      await client.call('soft.resume', { elid: '1' });
      await client.call('soft.resume', { elid: '2' });
      await client.call('soft.resume', { elid: '3' });
      scope.done();
      assert.ok(logger.lines.some((line) => line.includes('session refused')));
      logger.lines.forEach(assertNoSecret);
    });

    it('concurrent calls refused with one expired session share one new login', async () => {
      const scope = loggedInScope();
      expectCall(scope, { func: 'soft.resume', auth: SESSION, elid: '0' }, 'ok.xml');
      for (const elid of ['1', '2', '3']) {
        expectCall(scope, { func: 'soft.resume', auth: SESSION, elid }, 'error-auth-session.xml');
      }
      expectLogin(scope, 'auth-ok-renewed.xml');
      for (const elid of ['1', '2', '3']) {
        expectCall(scope, { func: 'soft.resume', auth: RENEWED_SESSION, elid }, 'ok.xml');
      }
      const client = createClient();
      await client.call('soft.resume', { elid: '0' });
      await Promise.all(['1', '2', '3'].map((elid) => client.call('soft.resume', { elid })));
      scope.done();
      assert.equal(nock.pendingMocks().length, 0);
    });

    it('a second refusal after renewal is final, and the next call logs in afresh', async () => {
      const scope = loggedInScope();
      expectCall(scope, { func: 'soft.resume', auth: SESSION, elid: '1' }, 'error-auth-session.xml');
      expectLogin(scope, 'auth-ok-renewed.xml');
      expectCall(scope, { func: 'soft.resume', auth: RENEWED_SESSION, elid: '1' }, 'error-auth-session.xml');
      const client = createClient();
      const error = await rejectionOf(client.call('soft.resume', { elid: '1' }));
      assert.ok(error instanceof UpstreamAuthError);
      assert.equal(error.retryable, false);
      scope.done();

      const next = expectCall(loggedInScope(), { func: 'soft.resume', auth: SESSION, elid: '2' }, 'ok.xml');
      await client.call('soft.resume', { elid: '2' });
      next.done();
    });

    it('wrong credentials at login are UpstreamAuthError, with no second login', async () => {
      const scope = expectLogin(nock(ORIGIN), 'error-auth-credentials.xml');
      const error = await rejectionOf(createModule().checkConnection());
      assert.ok(error instanceof UpstreamAuthError);
      assert.equal(error.code, 'upstream_auth');
      scope.done();
      assertNoSecret(renderError(error));
    });

    it('a failed login is not cached: the next call tries again', async () => {
      const scope = nock(ORIGIN).post(API_PATH).reply(503);
      const client = createClient();
      assert.ok((await rejectionOf(client.call('soft'))) instanceof UpstreamUnavailableError);
      scope.done();
      const next = expectCall(loggedInScope(), { func: 'soft', auth: SESSION }, 'empty-doc.xml');
      await client.call('soft');
      next.done();
    });

    it('a login reply without a session id is a protocol error', async () => {
      const scope = expectLogin(nock(ORIGIN), 'auth-no-id.xml');
      assert.ok((await rejectionOf(createClient().call('soft'))) instanceof UpstreamProtocolError);
      scope.done();
    });

    it('an upstream message that echoes the password is redacted', async () => {
      const scope = expectLogin(nock(ORIGIN), 'error-auth-echo.xml');
      const error = await rejectionOf(createClient().call('soft'));
      assert.ok(error instanceof UpstreamAuthError);
      assert.match(error.message, /Wrong password \[redacted\] for user reseller/);
      assertNoSecret(renderError(error));
      scope.done();
    });
  });

  describe('authinfo mode', () => {
    it('sends authinfo=user:pass on every call and never logs in', async () => {
      const scope = nock(ORIGIN);
      const authinfo = `${USERNAME}:${PASSWORD}`;
      expectCall(scope, { func: 'soft', authinfo }, 'list.xml');
      expectCall(scope, { func: 'soft.suspend', authinfo, elid: '7001' }, 'ok.xml');
      const module = createModule({ auth: 'authinfo' });
      await module.checkConnection();
      await module.suspend({ upstreamId: '7001' });
      scope.done();
    });

    it('an auth error is final at once (there is no session to renew)', async () => {
      const authinfo = `${USERNAME}:${PASSWORD}`;
      const scope = expectCall(nock(ORIGIN), { func: 'soft', authinfo }, 'error-auth-credentials.xml');
      const error = await rejectionOf(createModule({ auth: 'authinfo' }).list());
      assert.ok(error instanceof UpstreamAuthError);
      assertNoSecret(renderError(error));
      scope.done();
    });
  });
});
