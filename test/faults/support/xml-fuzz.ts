import fc from 'fast-check';
import { Parser } from 'xml2js';
import type { UpstreamLicense, UpstreamLicenseStatus } from '../../../src/domain/licensing-module';

/**
 * BILLmanager-style XML replies for fuzzing the billmanager module: valid success documents built from a model
 * (random values, unknown extra elements, any order), the same mutated, random element trees, and random bytes. And
 * an oracle, written from docs/billmanager-api.md rather than from the module, that says what a document means.
 */

/** One XML element: name, attributes, children (text or elements). */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string>;
  children: Array<XmlNode | string>;
}

export const LICENSE_FIELDS = [
  'id',
  'elid',
  'pricelist',
  'ip',
  'licname',
  'lickey',
  'status',
  'expiredate',
  'remoteid',
];

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** Serializes an element; `pretty` puts each child on its own indented line. */
export function renderXml(node: XmlNode, options: { declaration?: boolean; pretty?: boolean } = {}): string {
  const render = (n: XmlNode, depth: number): string => {
    const attrs = Object.entries(n.attrs ?? {})
      .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
      .join('');
    if (n.children.length === 0) return `<${n.name}${attrs}/>`;
    const pad = options.pretty && n.children.some((c) => typeof c !== 'string') ? `\n${'  '.repeat(depth + 1)}` : '';
    const inner = n.children.map((c) => (typeof c === 'string' ? escapeText(c) : pad + render(c, depth + 1))).join('');
    return `<${n.name}${attrs}>${inner}${pad ? `\n${'  '.repeat(depth)}` : ''}</${n.name}>`;
  };
  return `${options.declaration ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}${render(node, 0)}`;
}

const el = (name: string, ...children: Array<XmlNode | string>): XmlNode => ({ name, children });

// ---------------------------------------------------------------------------------------------------------------
// Valid success documents

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 24 });
const padded = (arb: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\n  '), arb, fc.constantFrom('', ' ', '\n')).map(([a, v, b]) => a + v + b);

/** A license id as the upstream gives them: a positive whole number. */
export const licenseId = fc.integer({ min: 1, max: 99_999_999 }).map(String);
const validDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Elements the module does not know, which a real server may add (paging, banners, metadata). */
const unknownElement: fc.Arbitrary<XmlNode> = fc
  .tuple(fc.constantFrom('p_cnt', 'p_num', 'banner', 'tparams', 'metadata', 'msg', 'x-extra'), printable)
  .map(([name, text]) => el(name, text));

/**
 * The elements of one license record, valid per the documentation, in any order. `idField` names the element that
 * carries `id` (`elid` in a `soft.edit` reply, `id` in an `<elem>`; none: the reply names no id).
 */
function licenseRecord(options: {
  idField: 'id' | 'elid' | null;
  id: fc.Arbitrary<string>;
  reference?: string;
}): fc.Arbitrary<XmlNode[]> {
  const remoteid = options.reference
    ? fc.oneof(fc.constant(options.reference), padded(fc.constant(options.reference)), printable)
    : printable;
  return fc
    .record({
      id: options.id,
      pricelist: fc.constantFrom('3541', '4601', '55331', '55333', '55335'),
      ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('')),
      licname: printable,
      lickey: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constant('')),
      status: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 6, max: 999 })).map(String),
      expiredate: fc.oneof({ weight: 4, arbitrary: validDate }, fc.constantFrom('', '0000-00-00')),
      remoteid,
      extras: fc.array(unknownElement, { maxLength: 3 }),
      keys: fc.array(fc.double({ noNaN: true }), { minLength: 12, maxLength: 12 }),
    })
    .map((r) => {
      const fields: Array<[string, string]> = [
        ['pricelist', r.pricelist],
        ['ip', r.ip],
        ['licname', r.licname],
        ['lickey', r.lickey],
        ['status', r.status],
        ['expiredate', r.expiredate],
        ['remoteid', r.remoteid],
      ];
      if (options.idField) fields.unshift([options.idField, r.id]);
      const children: XmlNode[] = [...fields.map(([k, v]) => el(k, v)), ...r.extras];
      const order = children.map((child, i) => ({ child, key: r.keys[i] ?? i }));
      return order.sort((a, b) => a.key - b.key).map((o) => o.child);
    });
}

/** The calls of the module that are fuzzed, by the reply each expects. */
export type ReplyKind = 'order' | 'get' | 'list' | 'change' | 'auth';

/**
 * A document the documentation calls a success reply of `kind`. For `get`: of license `getId` (its `<elid>` is
 * left out when `getId` is null); for `list`: some licenses may carry `reference` as their `remoteid`.
 */
export function validDocument(
  kind: ReplyKind,
  options: { getId?: string | null; reference?: string } = {},
): fc.Arbitrary<string> {
  const docOf = (children: fc.Arbitrary<XmlNode[]>) =>
    fc
      .tuple(children, fc.boolean(), fc.boolean())
      .map(([kids, declaration, pretty]) => renderXml(el('doc', ...kids), { declaration, pretty }));
  const extras = fc.array(unknownElement, { maxLength: 2 });
  const getId = options.getId === undefined ? '7001' : options.getId;
  switch (kind) {
    case 'order':
      return docOf(fc.tuple(padded(licenseId), extras).map(([id, more]) => [el('ok'), el('id', id), ...more]));
    case 'get':
      return docOf(licenseRecord({ idField: getId === null ? null : 'elid', id: padded(fc.constant(getId ?? '')) }));
    case 'list':
      return docOf(
        fc
          .array(licenseRecord({ idField: 'id', id: padded(licenseId), reference: options.reference }), {
            maxLength: 4,
          })
          .map((elems) => elems.map((children) => ({ name: 'elem', children }))),
      );
    case 'change':
      return docOf(extras.map((more) => [el('ok'), ...more]));
    case 'auth':
      return docOf(
        fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).map((id) => [{ name: 'auth', attrs: { id }, children: [id] }]),
      );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile documents

const TOKENS = [
  '<', '>', '/', '"', '&', '</doc>', '<doc>', '<ok/>', '<id>9</id>', '<id>x</id>', '<id></id>', '<id><b/></id>',
  '<error type="value" object="ip"><msg>no</msg></error>', '<error/>', '<error type="auth"/>',
  '<error type="missing" object="elid"/>', '<elem><id>1</id><pricelist>3541</pricelist><status>2</status></elem>',
  '<status>7</status>', '<status>-1</status>', '<status> 2 </status>', '<pricelist></pricelist>', '<pricelist> </pricelist>',
  '<elid>9999</elid>', '<expiredate>2025-02-30</expiredate>', '<expiredate>2025-2-3</expiredate>',
  '<!DOCTYPE doc>', '<!ENTITY x "y">', '<!-- c -->', '<![CDATA[<id>5</id>]]>', '&amp;', '&bogus;', '&#0;',
  '\u0000', '\uFFFE', ' ', '\n', '<__proto__><status>2</status></__proto__>', '<constructor>1</constructor>',
  '<auth id="s"/>', '<auth>s</auth>', '<?xml version="1.0"?>', 'é', '😀',
]; // prettier-ignore

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'replace'; at: number; char: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1 }) }),
);

function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    switch (m.kind) {
      case 'delete':
        out = out.slice(0, at) + out.slice(at + m.length);
        break;
      case 'insert':
        out = out.slice(0, at) + m.token + out.slice(at);
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'duplicate':
        out = out.slice(0, at + m.length) + out.slice(at, at + m.length) + out.slice(at + m.length);
        break;
      case 'replace':
        out = out.slice(0, at) + m.char + out.slice(at + 1);
        break;
    }
  }
  return out;
}

/** A valid document of any kind, mutated one to four times. */
export const mutatedDocument: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(...(['order', 'get', 'list', 'change', 'auth'] as const).map((k) => validDocument(k))),
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
  )
  .map(([doc, mutations]) => mutate(doc, mutations));

const treeName = fc.constantFrom(
  ...LICENSE_FIELDS,
  'doc', 'ok', 'error', 'msg', 'elem', 'auth', '__proto__', 'constructor', 'toString', 'p_cnt', 'x',
); // prettier-ignore
const treeText = fc.oneof(
  fc.constantFrom('', ' ', '7001', ' 7001 ', '0', '2', '5', '9', '999', '1000', '-1', '1e3', '0x10', 'abc'),
  fc.constantFrom('2025-02-28', '2025-02-30', '0000-00-00', '2025-2-3', '9999-12-31', '3541', 'auth', 'missing'),
  fc.string({ maxLength: 12 }),
);

/** Random element trees over the names the module knows (and some it must ignore), under a `<doc>` mostly. */
export const randomTree: fc.Arbitrary<string> = fc
  .letrec<{ node: XmlNode; child: XmlNode | string }>((tie) => ({
    node: fc.record({
      name: treeName,
      attrs: fc.dictionary(fc.constantFrom('id', 'type', 'object', 'x'), treeText, { maxKeys: 2 }),
      children: fc.array(tie('child'), { maxLength: 5 }),
    }),
    child: fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, treeText, tie('node')),
  }))
  .node.chain((node) =>
    fc
      .tuple(fc.constantFrom('doc', 'doc', 'doc', 'html', 'error'), fc.boolean())
      .map(([root, declaration]) => renderXml({ ...node, name: root }, { declaration })),
  );

/** Bytes and text that are rarely XML at all. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom('', ' ', '<doc', '<doc/', '<html><body>502 Bad Gateway</body></html>', '{"doc":{"id":1}}', 'OK'),
);

/** Every family at once, weighted towards the ones closest to valid documents. */
export function anyDocument(kind: ReplyKind): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 1, arbitrary: validDocument(kind) },
    { weight: 4, arbitrary: mutatedDocument },
    { weight: 3, arbitrary: randomTree },
    { weight: 1, arbitrary: randomText },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle

/** The `<doc>` of a reply as xml2js reads it (strict, arrays), or undefined when the reply is no readable `<doc>`. */
export async function readDoc(text: string): Promise<{ doc: unknown } | undefined> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return undefined;
  try {
    const root: unknown = await new Parser({ explicitArray: true, strict: true }).parseStringPromise(text);
    if (!isRecord(root) || !Object.hasOwn(root, 'doc')) return undefined;
    return { doc: root.doc };
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kids(node: unknown, name: string): unknown[] {
  if (!isRecord(node) || !Object.hasOwn(node, name)) return [];
  const value = node[name];
  return Array.isArray(value) ? value : [];
}

function plainText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return null;
  const keys = Object.keys(value).filter((k) => k !== '$');
  if (keys.length === 0) return '';
  return keys.length === 1 && keys[0] === '_' && typeof value._ === 'string' ? value._ : null;
}

const INVALID = Symbol('invalid');

/** The text of child `name` when it appears at most once as plain text; INVALID otherwise. */
function field(node: unknown, name: string): string | undefined | typeof INVALID {
  const values = kids(node, name);
  if (values.length === 0) return undefined;
  if (values.length > 1) return INVALID;
  return plainText(values[0]) ?? INVALID;
}

/** True when the document reports an error: never a success, whatever else it carries. */
export function hasError(doc: unknown): boolean {
  return kids(doc, 'error').length > 0;
}

const STATUS: Record<string, UpstreamLicenseStatus> = {
  0: 'unknown',
  1: 'ordered',
  2: 'active',
  3: 'suspended',
  4: 'deleted',
  5: 'processing',
};

/** `YYYY-MM-DD` → the last millisecond of that UTC day; null for none; INVALID for anything else. */
function paidThrough(text: string | undefined): Date | null | typeof INVALID {
  const value = text?.trim() ?? '';
  if (value === '' || value === '0000-00-00') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return INVALID;
  const [y, m, d] = match.slice(1).map(Number) as [number, number, number];
  const start = Date.UTC(y, m - 1, d);
  const date = new Date(start);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return INVALID;
  return new Date(start + 86_400_000 - 1);
}

/**
 * The license a record (a `soft.edit` doc, or an `<elem>`) describes, or null when the documentation would not
 * call it a license: every known field at most once and plain text, an id, a price list, a numeric status, a real
 * date. `upstreamId` is the license asked for (a `<elid>` naming another one is no answer to the question).
 */
export function expectedLicense(node: unknown, upstreamId?: string): UpstreamLicense | null {
  const fields: Record<string, string | undefined> = {};
  for (const name of LICENSE_FIELDS) {
    const value = field(node, name);
    if (value === INVALID) return null;
    fields[name] = value;
  }
  const id = (upstreamId ?? fields.id ?? '').trim();
  if (id === '') return null;
  if (upstreamId !== undefined && fields.elid !== undefined && fields.elid.trim() !== upstreamId) return null;
  const priceList = fields.pricelist?.trim();
  if (!priceList) return null;
  const status = fields.status?.trim();
  if (status === undefined || !/^\d{1,3}$/.test(status)) return null;
  const paidUntil = paidThrough(fields.expiredate);
  if (paidUntil === INVALID) return null;
  const orNull = (text: string | undefined) => text?.trim() || null;
  return {
    upstreamId: id,
    priceList,
    ip: orNull(fields.ip),
    name: fields.licname?.trim() ?? '',
    status: STATUS[Number(status)] ?? 'unknown',
    paidUntil,
    activationKey: orNull(fields.lickey),
    reference: orNull(fields.remoteid),
  };
}

/** The id an order reply reports, or null when it is no order success (an error, no single plain `<id>`). */
export function expectedOrderId(doc: unknown): string | null {
  if (hasError(doc)) return null;
  const id = field(doc, 'id');
  if (id === undefined || id === INVALID) return null;
  return id.trim() || null;
}

/** The licenses a list reply reports, or null when it is no list success (an error, or an unreadable `<elem>`). */
export function expectedList(doc: unknown): UpstreamLicense[] | null {
  if (hasError(doc)) return null;
  const licenses: UpstreamLicense[] = [];
  for (const elem of kids(doc, 'elem')) {
    const license = expectedLicense(elem);
    if (!license) return null;
    licenses.push({ ...license, activationKey: null });
  }
  return licenses;
}

/** Whether a change reply says the change was performed: no error, and `<ok/>`. */
export function changePerformed(doc: unknown): boolean {
  return !hasError(doc) && kids(doc, 'ok').length > 0;
}

/** The session id of a login reply (`<auth id="…">` or its text), or null. */
export function expectedSession(doc: unknown): string | null {
  if (hasError(doc)) return null;
  const [auth] = kids(doc, 'auth');
  if (auth === undefined) return null;
  const attrs = isRecord(auth) && isRecord(auth.$) ? auth.$ : {};
  const fromAttr = typeof attrs.id === 'string' ? attrs.id : undefined;
  const id = fromAttr ?? plainText(auth) ?? '';
  return id.trim() || null;
}
