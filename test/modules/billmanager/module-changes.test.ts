import assert from 'node:assert/strict';
import { UpstreamProtocolError, UpstreamRejectedError } from '../../../src/domain/upstream-errors';
import {
  API_PATH,
  RecordingLogger,
  SESSION,
  createModule,
  expectCall,
  loggedInScope,
  rejectionOf,
  useNock,
} from './helpers';

const auth = SESSION;

describe('billmanager module: changes on the wire', () => {
  useNock();

  it('changeIp sends soft.edit with ip and sok=ok', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'ok.xml',
    );
    await createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' });
    scope.done();
  });

  it('changeIp refused by the monthly limit is UpstreamRejectedError limit/ip', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'error-limit-ip.xml',
    );
    const error = await rejectionOf(createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamType, 'limit');
    assert.equal(error.upstreamObject, 'ip');
    assert.equal(error.code, 'upstream_limit');
    scope.done();
  });

  it('a change answered without <ok/> is a protocol error', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'license.xml',
    );
    const error = await rejectionOf(createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' }));
    assert.ok(error instanceof UpstreamProtocolError);
    scope.done();
  });

  it('rename sends soft.edit with licname and sok=ok', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', licname: 'vps-2002 & co', sok: 'ok' },
      'ok.xml',
    );
    await createModule().rename({ upstreamId: '7001', name: 'vps-2002 & co' });
    scope.done();
  });

  it('edit sends ip and licname in one soft.edit with sok=ok', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', licname: 'vps-2002', sok: 'ok' },
      'ok.xml',
    );
    await createModule().edit({ upstreamId: '7001', ip: '198.51.100.7', name: 'vps-2002' });
    scope.done();
  });

  it('edit refused by the monthly IP limit is UpstreamRejectedError limit/ip', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', licname: 'vps-2002', sok: 'ok' },
      'error-limit-ip.xml',
    );
    const error = await rejectionOf(createModule().edit({ upstreamId: '7001', ip: '198.51.100.7', name: 'vps-2002' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamObject, 'ip');
    scope.done();
  });

  it('edit with nothing to write sends nothing (it would be a read)', async () => {
    const error = await rejectionOf(createModule().edit({ upstreamId: '7001' }));
    assert.match(String(error), /nothing to change/);
  });

  it('regenerateKey presses newkey, then reads the new key back', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'ok.xml',
    );
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license-newkey.xml');
    const { activationKey, license } = await createModule().regenerateKey({ upstreamId: '7001' });
    assert.equal(activationKey, 'KEY-BBBB-2222-SECRET');
    // The read that found the key is given whole: the caller needs no read of its own for status and expiry.
    assert.equal(license?.activationKey, 'KEY-BBBB-2222-SECRET');
    assert.equal(license?.status, 'active');
    assert.equal(license?.paidUntil?.toISOString(), '2025-03-31T23:59:59.999Z');
    scope.done();
  });

  it('regenerateKey whose read-back fails still succeeds, without a key', async () => {
    const logger = new RecordingLogger();
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'ok.xml',
    );
    scope.post(API_PATH, { out: 'xml', func: 'soft.edit', auth, elid: '7001' }).reply(503);
    assert.deepEqual(await createModule({}, logger).regenerateKey({ upstreamId: '7001' }), {
      activationKey: null,
      license: null,
    });
    assert.ok(logger.lines.some((line) => line.includes('not read back')));
    scope.done();
  });

  it('regenerateKey refused by the monthly limit is UpstreamRejectedError limit/lickey, with no read-back', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'error-limit-lickey.xml',
    );
    const error = await rejectionOf(createModule().regenerateKey({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamObject, 'lickey');
    scope.done();
  });

  it('prolong sends service.prolong with the period in months', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: '1', sok: 'ok' },
      'ok.xml',
    );
    await createModule().prolong({ upstreamId: '7001', period: 1 });
    scope.done();
  });

  it('prolong for lifetime sends the configured string code', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: 'L', sok: 'ok' },
      'ok.xml',
    );
    await createModule({ periodCodes: { lifetime: 'L' } }).prolong({ upstreamId: '7001', period: 'lifetime' });
    scope.done();
  });

  it('prolong without money is UpstreamRejectedError balance', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: '12', sok: 'ok' },
      'error-balance.xml',
    );
    const error = await rejectionOf(createModule().prolong({ upstreamId: '7001', period: 12 }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.code, 'upstream_balance');
    assert.equal(error.message, 'Not enough money on the account');
    scope.done();
  });

  it('suspend sends soft.suspend&elid', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.suspend', auth, elid: '7001' }, 'ok.xml');
    await createModule().suspend({ upstreamId: '7001' });
    scope.done();
  });

  it('resume sends soft.resume&elid', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.resume', auth, elid: '7001' }, 'ok.xml');
    await createModule().resume({ upstreamId: '7001' });
    scope.done();
  });

  it('remove sends soft.delete&elid&sok=ok', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.delete', auth, elid: '7001', sok: 'ok' }, 'ok.xml');
    await createModule().remove({ upstreamId: '7001' });
    scope.done();
  });

  it('one session serves a sequence of operations', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.suspend', auth, elid: '7001' }, 'ok.xml');
    expectCall(scope, { func: 'soft.resume', auth, elid: '7001' }, 'ok.xml');
    expectCall(scope, { func: 'soft.delete', auth, elid: '7001', sok: 'ok' }, 'ok.xml');
    const module = createModule();
    await module.suspend({ upstreamId: '7001' });
    await module.resume({ upstreamId: '7001' });
    await module.remove({ upstreamId: '7001' });
    scope.done();
  });
});
