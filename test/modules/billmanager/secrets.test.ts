import assert from 'node:assert/strict';
import nock from 'nock';
import type { LicensingServerModule } from '../../../src/domain/licensing-module';
import { UpstreamError } from '../../../src/domain/upstream-errors';
import {
  API_PATH,
  ORIGIN,
  RecordingLogger,
  SESSION,
  assertNoSecret,
  createModule,
  expectCall,
  expectLogin,
  fixture,
  loggedInScope,
  rejectionOf,
  renderError,
  useNock,
} from './helpers';

const auth = SESSION;
const editForm = { out: 'xml', func: 'soft.edit', auth, elid: '7001' };

interface Scenario {
  what: string;
  settings?: object;
  arrange(): nock.Scope;
  act(module: LicensingServerModule): Promise<unknown>;
}

const scenarios: Scenario[] = [
  {
    what: 'wrong password (session login)',
    arrange: () => expectLogin(nock(ORIGIN), 'error-auth-credentials.xml'),
    act: (module) => module.checkConnection(),
  },
  {
    what: 'wrong password echoed by the upstream (authinfo)',
    settings: { auth: 'authinfo' },
    arrange: () => nock(ORIGIN).post(API_PATH).reply(200, fixture('error-auth-echo.xml')),
    act: (module) => module.list(),
  },
  {
    what: 'a session id echoed by the upstream',
    arrange: () =>
      loggedInScope()
        .post(API_PATH, editForm)
        .reply(200, `<doc><error type="value" object="auth"><msg>bad session ${SESSION}</msg></error></doc>`),
    act: (module) => module.get({ upstreamId: '7001' }),
  },
  {
    what: 'a time-out (authinfo: the password is in every request body)',
    settings: { auth: 'authinfo', timeoutMs: 100 },
    arrange: () => nock(ORIGIN).post(API_PATH).delay(2000).reply(200, fixture('ok.xml')),
    act: (module) => module.suspend({ upstreamId: '7001' }),
  },
  {
    what: 'a dropped connection (authinfo)',
    settings: { auth: 'authinfo' },
    arrange: () => nock(ORIGIN).post(API_PATH).replyWithError('socket hang up'),
    act: (module) => module.suspend({ upstreamId: '7001' }),
  },
  {
    what: 'an HTTP 500 (authinfo)',
    settings: { auth: 'authinfo' },
    arrange: () => nock(ORIGIN).post(API_PATH).reply(500, 'Internal error'),
    act: (module) => module.suspend({ upstreamId: '7001' }),
  },
  {
    what: 'a reply too large (authinfo)',
    settings: { auth: 'authinfo', listMaxResponseBytes: 2048 },
    arrange: () =>
      nock(ORIGIN)
        .post(API_PATH)
        .reply(200, `<doc>${'y'.repeat(5000)}</doc>`),
    act: (module) => module.list(),
  },
  {
    what: 'malformed XML carrying a key',
    arrange: () => loggedInScope().post(API_PATH, editForm).reply(200, '<doc><lickey>KEY-AAAA-1111-SECRET</lickey'),
    act: (module) => module.get({ upstreamId: '7001' }),
  },
];

describe('billmanager: no secret in errors or logs', () => {
  useNock();

  for (const scenario of scenarios) {
    it(`${scenario.what}: message, cause, inspect and JSON hold no password, session or key`, async () => {
      const logger = new RecordingLogger();
      const scope = scenario.arrange();
      const error = await rejectionOf(scenario.act(createModule(scenario.settings ?? {}, logger)));
      assert.ok(error instanceof UpstreamError, String(error));
      assertNoSecret(renderError(error));
      logger.lines.forEach(assertNoSecret);
      scope.done();
    });
  }

  it('an activation key read earlier is redacted from later upstream messages', async () => {
    const logger = new RecordingLogger();
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    scope
      .post(API_PATH, { out: 'xml', func: 'soft.delete', auth, elid: '7001', sok: 'ok' })
      .reply(200, '<doc><error type="value" object="elid"><msg>Key KEY-AAAA-1111-SECRET is locked</msg></error></doc>');
    const module = createModule({}, logger);
    await module.get({ upstreamId: '7001' });
    const error = await rejectionOf(module.remove({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.message, 'Key [redacted] is locked');
    logger.lines.forEach(assertNoSecret);
    scope.done();
  });

  it('successful calls log no secret either', async () => {
    const logger = new RecordingLogger();
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const module = createModule({}, logger);
    await module.get({ upstreamId: '7001' });
    assert.ok(logger.lines.length > 0);
    logger.lines.forEach(assertNoSecret);
    scope.done();
  });
});
