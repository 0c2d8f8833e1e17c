import fc from 'fast-check';
import { signPayload } from '../../../src/platform/signature';
import { TEST_HOOK_SECRET } from '../../helpers/service';

/** What the service answered to one signed request. */
export interface RawAnswer {
  status: number;
  text: string;
  /** The answer parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** POSTs `body` (exact bytes) to `url`, signed with the test hook secret, as the platform would. */
export async function postSigned(url: string, body: Buffer, contentType = 'application/json'): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-signature': signPayload(TEST_HOOK_SECRET, body) },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** Keys that have broken JSON handlers elsewhere: prototype keys, empty, odd Unicode. */
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000', '😀'];

/** Any JSON value, with nasty keys mixed in. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4 },
    fc.constantFrom(null, true, false, 0, -0, 1e308, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, '', ' ', '\u0000', '😀'),
    fc.string({ maxLength: 20 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** A value for one field: sometimes right, often of the wrong type or out of range. */
function fieldOf(good: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 2, arbitrary: good }, { weight: 3, arbitrary: anyJson });
}

const ipValues = fc.constantFrom('203.0.113.7', '::1', '2001:db8::5', '999.1.1.1', '203.0.113', 'localhost', '');
const planValues = fc.constantFrom('vps-monthly', 'vps-yearly', 'no-such-plan', '', 'VPS-MONTHLY', '../etc');
const panelValues = fc.constantFrom('isp-lite', 'isp-business', 'nopanel', 'bill-startup', 'no-such-panel', '');
const periodValues = fc.constantFrom(1, 3, 12, 24, 'lifetime', 0, -1, 1.5, '1', 'forever', 1e9, null);
const timeValues = fc.oneof(
  fc.constantFrom(
    '2030-01-01T00:00:00Z',
    '2030-01-01T00:00:00+03:00',
    '2030-02-30T00:00:00Z',
    '2030-01-01',
    'tomorrow',
    '',
    '0000-00-00T00:00:00Z',
    '+275760-09-13T00:00:00.000Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/** Objects shaped like hook bodies whose fields are missing, extra, or of the wrong type. */
export const hookShaped: fc.Arbitrary<unknown> = fc
  .record(
    {
      eventId: fieldOf(fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 130 }))),
      service: fc.oneof({ weight: 4, arbitrary: serviceShaped() }, { weight: 1, arbitrary: anyJson }),
      extra: anyJson,
    },
    { requiredKeys: [] },
  )
  .map((body) => body as unknown);

function serviceShaped(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      id: fieldOf(fc.oneof(fc.string({ minLength: 1, maxLength: 130 }), fc.constantFrom('fz-1', 'fz-2', 'fz-3'))),
      name: fieldOf(fc.string({ maxLength: 300 })),
      ip: fieldOf(ipValues),
      tariffPlan: fieldOf(planValues),
      period: fieldOf(periodValues),
      paidUntil: fieldOf(timeValues),
      controlPanel: fieldOf(panelValues),
    },
    { requiredKeys: [] },
  );
}

/** Bytes that are rarely JSON: random bytes, random text, JSON cut short or with garbage appended. */
export const randomBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
  fc.tuple(hookShaped, fc.nat(), fc.string({ maxLength: 5 })).map(([body, cut, tail]) => {
    const text = JSON.stringify(body) ?? '';
    return Buffer.from(text.slice(0, cut % (text.length + 1)) + tail, 'utf8');
  }),
  fc.constantFrom(
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // a UTF-8 BOM, then {}
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16
    Buffer.from('{"eventId":"x","eventId":"y","service":{"id":"a"}}'),
    Buffer.from('{"service":{"id":"a"},"eventId":"x"}\u0000'),
    Buffer.from('{"__proto__":{"eventId":"proto-1"},"service":{"id":"a"}}'),
    Buffer.from('{"eventId":"proto-2","service":{"id":"a","__proto__":{"id":"b"}}}'),
    Buffer.from('{"eventId":"proto-3","service":{"__proto__":{"id":"b"}}}'),
    Buffer.from('{"eventId":{"toString":"x"},"service":{"id":{"constructor":1}}}'),
  ),
);

/** A valid body for each event, for the services and catalog of the test harness. */
export function validHookBody(event: string, eventId: string, serviceId: string): Record<string, unknown> {
  const paidUntil = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const services: Record<string, Record<string, unknown>> = {
    open: {
      id: serviceId,
      ip: '203.0.113.9',
      tariffPlan: 'vps-monthly',
      period: 1,
      paidUntil,
      controlPanel: 'isp-lite',
    },
    prolong: { id: serviceId, paidUntil },
    suspend: { id: serviceId },
    resume: { id: serviceId },
    close: { id: serviceId },
    setparam: { id: serviceId, ip: '203.0.113.10' },
  };
  return { eventId, service: services[event] };
}

/** A JSON array nested `depth` deep: `[[[…]]]`. */
export function nestedArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
