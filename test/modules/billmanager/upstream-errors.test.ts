import assert from 'node:assert/strict';
import { UpstreamAuthError, UpstreamNotFoundError, UpstreamRejectedError } from '../../../src/domain/upstream-errors';
import { SESSION, createModule, expectCall, loggedInScope, rejectionOf, useNock } from './helpers';

const auth = SESSION;

describe('billmanager api client: error documents', () => {
  useNock();

  for (const [fixtureName, type, object, message] of [
    ['error-balance.xml', 'balance', 'account', 'Not enough money on the account'],
    ['error-value-pricelist.xml', 'value', 'pricelist', 'Invalid value of the field pricelist'],
    ['error-exists.xml', 'exists', 'remoteid', 'An object with this remoteid already exists'],
    ['error-access.xml', 'access', 'soft.delete', 'Access denied'],
    ['error-limit-ip.xml', 'limit', 'ip', 'The IP address may be changed once per calendar month'],
    ['error-limit-lickey.xml', 'limit', 'lickey', 'The key was already regenerated this month'],
  ] as const) {
    it(`type="${type}" object="${object}" is UpstreamRejectedError, not retryable`, async () => {
      const scope = expectCall(loggedInScope(), { func: 'soft.delete', auth, elid: '7001', sok: 'ok' }, fixtureName);
      const error = await rejectionOf(createModule().remove({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamRejectedError, String(error));
      assert.equal(error.upstreamType, type);
      assert.equal(error.upstreamObject, object);
      assert.equal(error.message, message);
      assert.equal(error.code, `upstream_${type}`);
      assert.equal(error.retryable, false);
      assert.equal(error.name, 'UpstreamRejectedError');
      scope.done();
    });
  }

  it('type="missing" is UpstreamNotFoundError', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.delete', auth, elid: '999', sok: 'ok' },
      'error-missing.xml',
    );
    const error = await rejectionOf(createModule().remove({ upstreamId: '999' }));
    assert.ok(error instanceof UpstreamNotFoundError);
    assert.equal(error.code, 'upstream_missing');
    assert.match(error.message, /elid/);
    scope.done();
  });

  it('an <error> without type is still an error (UpstreamRejectedError type unknown), never a success', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.delete', auth, elid: '7001', sok: 'ok' },
      'error-no-type.xml',
    );
    const error = await rejectionOf(createModule().remove({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamType, 'unknown');
    assert.equal(error.upstreamObject, null);
    assert.equal(error.message, 'Something went wrong');
    scope.done();
  });

  it('type="auth" on a call with a fresh login that is refused twice is UpstreamAuthError', async () => {
    const scope = loggedInScope();
    expectCall(scope, { func: 'soft', auth }, 'error-auth-session.xml');
    expectCall(scope, { func: 'auth', username: 'reseller', password: 'S3cr3t-p@ss word' }, 'auth-ok.xml');
    expectCall(scope, { func: 'soft', auth }, 'error-auth-session.xml');
    assert.ok((await rejectionOf(createModule().list())) instanceof UpstreamAuthError);
    scope.done();
  });
});
