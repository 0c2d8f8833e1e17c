import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UpstreamProtocolError } from '../../../src/domain/upstream-errors';
import { parseBillmanagerReply } from '../../../modules/billmanager/xml-reply';
import { API_PATH, SESSION, createModule, expectCall, fixture, loggedInScope, rejectionOf, useNock } from './helpers';

const auth = SESSION;
const editForm = { func: 'soft.edit', auth, elid: '7001' };

function assertPrototypesClean(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined);
  assert.equal(probe.isAdmin, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
}

describe('billmanager api client: malformed and hostile replies', () => {
  useNock();

  for (const [fixtureName, what] of [
    ['malformed.xml', 'mismatched tags'],
    ['truncated.xml', 'a truncated document'],
    ['not-xml.html', 'an HTML error page'],
    ['not-doc.xml', 'XML whose root is not <doc>'],
    ['dtd-entities.xml', 'a DTD with nested entities (billion laughs)'],
    ['dtd-external.xml', 'a DTD with an external entity'],
  ] as const) {
    it(`${what} is UpstreamProtocolError, never success`, async () => {
      const scope = expectCall(loggedInScope(), editForm, fixtureName);
      const error = await rejectionOf(createModule().get({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamProtocolError, String(error));
      assert.equal(error.retryable, true);
      scope.done();
    });
  }

  for (const [body, what] of [
    ['', 'an empty body'],
    ['{"doc":{"id":7001}}', 'JSON'],
    ['<doc><ok/><id>7001</id>', 'a document cut before its end tag'],
  ] as const) {
    it(`an order answered with ${what} is UpstreamProtocolError`, async () => {
      const scope = loggedInScope().post(API_PATH).reply(200, body);
      const error = await rejectionOf(
        createModule().order({ priceList: '3541', period: 1, ip: '203.0.113.10', name: 'n', reference: 'r' }),
      );
      assert.ok(error instanceof UpstreamProtocolError, String(error));
      scope.done();
    });
  }

  it('a truncated list is UpstreamProtocolError, not a shorter list', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'truncated.xml');
    assert.ok((await rejectionOf(createModule().list())) instanceof UpstreamProtocolError);
    scope.done();
  });

  it('<__proto__> and <constructor> tags neither leak into the license nor pollute prototypes', async () => {
    const scope = expectCall(loggedInScope(), editForm, 'proto-pollution.xml');
    const license = await createModule().get({ upstreamId: '7001' });
    assert.deepEqual(Object.keys(license).sort(), [
      'activationKey',
      'ip',
      'name',
      'paidUntil',
      'priceList',
      'reference',
      'status',
      'upstreamId',
    ]);
    assert.equal(Object.getPrototypeOf(license), Object.prototype);
    assert.equal(license.status, 'active');
    assert.equal(license.priceList, '3541');
    assertPrototypesClean();
    scope.done();
  });

  it('<__proto__> in a list neither adds licenses nor changes fields', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'proto-pollution-list.xml');
    const licenses = await createModule().list();
    assert.equal(licenses.length, 1);
    assert.equal(licenses[0]!.upstreamId, '7001');
    assert.equal(licenses[0]!.status, 'active');
    assert.equal(Object.getPrototypeOf(licenses[0]), Object.prototype);
    assertPrototypesClean();
    scope.done();
  });

  it('parsing any text either gives a reply of known fields or throws UpstreamProtocolError', async () => {
    const fragments = fc.constantFrom(
      '<doc>',
      '</doc>',
      '<ok/>',
      '<id>7</id>',
      '<elem>',
      '</elem>',
      '<__proto__>',
      '</__proto__>',
      '<constructor>',
      '</constructor>',
      '<error type="auth">',
      '</error>',
      '<msg>m</msg>',
      '<status>2</status>',
      '<!DOCTYPE doc [<!ENTITY a "b">]>',
      '&a;',
      '<![CDATA[x]]>',
      ' ',
    );
    const bodies = fc.oneof(
      fc.string(),
      fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        try {
          const reply = await parseBillmanagerReply(body, 'soft');
          for (const fields of [reply.fields, ...reply.elems]) {
            for (const key of Object.keys(fields)) assert.ok(!['__proto__', 'constructor'].includes(key));
          }
        } catch (error) {
          assert.ok(error instanceof UpstreamProtocolError, `${String(error)} for ${JSON.stringify(body)}`);
        }
        assertPrototypesClean();
      }),
      { numRuns: 500 },
    );
  });

  it('the fixtures used here really are hostile', () => {
    assert.match(fixture('dtd-entities.xml'), /<!ENTITY lol4/);
    assert.match(fixture('proto-pollution.xml'), /<__proto__>/);
  });
});
