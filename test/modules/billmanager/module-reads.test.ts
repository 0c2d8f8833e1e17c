import assert from 'node:assert/strict';
import { UpstreamNotFoundError, UpstreamProtocolError } from '../../../src/domain/upstream-errors';
import { SESSION, createModule, expectCall, loggedInScope, rejectionOf, useNock } from './helpers';

const auth = SESSION;

describe('billmanager module: reads on the wire (get, list, findByReference)', () => {
  useNock();

  it('get reads soft.edit&elid into an UpstreamLicense', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().get({ upstreamId: '7001' });
    assert.deepEqual(license, {
      upstreamId: '7001',
      priceList: '3541',
      ip: '203.0.113.10',
      name: 'vps-1001.example.net',
      status: 'active',
      paidUntil: new Date('2025-03-31T23:59:59.999Z'),
      activationKey: 'KEY-AAAA-1111-SECRET',
      reference: 'op-42-order-1',
    });
    scope.done();
  });

  it('get maps empty fields to null', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7003' }, 'license-sparse.xml');
    const license = await createModule().get({ upstreamId: '7003' });
    assert.deepEqual(license, {
      upstreamId: '7003',
      priceList: '4601',
      ip: null,
      name: '',
      status: 'ordered',
      paidUntil: null,
      activationKey: null,
      reference: null,
    });
    scope.done();
  });

  for (const [fixtureName, why] of [
    ['license-no-status.xml', 'no status'],
    ['license-bad-date.xml', 'an impossible date'],
    ['license-other-elid.xml', 'another license'],
    ['license-nested-field.xml', 'a field with child elements'],
    ['ok.xml', 'no fields at all'],
  ] as const) {
    it(`get of a reply with ${why} is a protocol error`, async () => {
      const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, fixtureName);
      const error = await rejectionOf(createModule().get({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamProtocolError, String(error));
      scope.done();
    });
  }

  it('get of an unknown license is UpstreamNotFoundError', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '999' }, 'error-missing.xml');
    const error = await rejectionOf(createModule().get({ upstreamId: '999' }));
    assert.ok(error instanceof UpstreamNotFoundError);
    scope.done();
  });

  it('list reads every <elem> of func=soft, status codes 0..5, no keys', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    const licenses = await createModule().list();
    assert.deepEqual(
      licenses.map((l) => [l.upstreamId, l.priceList, l.status, l.paidUntil?.toISOString() ?? null, l.reference]),
      [
        ['7001', '3541', 'active', '2025-03-31T23:59:59.999Z', 'op-42-order-1'],
        ['7002', '4601', 'suspended', '2024-12-01T23:59:59.999Z', 'op-43-order-1'],
        ['7000', '3541', 'deleted', '2024-01-31T23:59:59.999Z', 'op-44-order-1'],
        ['7004', '55331', 'processing', '2026-01-15T23:59:59.999Z', null],
        ['7005', '55333', 'ordered', null, 'op-45-order-1'],
        ['7006', '55335', 'unknown', '2025-06-30T23:59:59.999Z', null],
      ],
    );
    assert.ok(licenses.every((l) => l.activationKey === null));
    assert.equal(licenses[3]!.ip, null);
    scope.done();
  });

  it('list of an empty account is empty', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'empty-doc.xml');
    assert.deepEqual(await createModule().list(), []);
    scope.done();
  });

  it('list with an <elem> without id is a protocol error', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list-elem-no-id.xml');
    assert.ok((await rejectionOf(createModule().list())) instanceof UpstreamProtocolError);
    scope.done();
  });

  it('findByReference matches remoteid, then reads the full record', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().findByReference({ reference: 'op-42-order-1' });
    assert.equal(license?.upstreamId, '7001');
    assert.equal(license?.activationKey, 'KEY-AAAA-1111-SECRET');
    scope.done();
  });

  it('findByReference gives null when no license carries the reference', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-99-order-1' }), null);
    scope.done();
  });

  it('findByReference ignores deleted licenses', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-44-order-1' }), null);
    scope.done();
  });

  it('findByReference skips a deleted match and takes the live one', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list-with-deleted-match.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().findByReference({ reference: 'op-50-order-1' });
    assert.equal(license?.upstreamId, '7001');
    scope.done();
  });

  it('findByReference gives null when the match vanished before it was read', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7002' }, 'error-missing.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-43-order-1' }), null);
    scope.done();
  });
});
