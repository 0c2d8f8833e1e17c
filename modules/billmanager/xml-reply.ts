import { Parser } from 'xml2js';
import { UpstreamProtocolError } from '../../src/domain/upstream-errors';

/**
 * The license fields this module reads from replies, at the top of `<doc>` (`soft.edit`, `soft.order.param`) or in
 * each `<elem>` (`soft`). Nothing else of a parsed reply is ever copied: a `<__proto__>` or `<constructor>` tag has
 * no way into the results.
 */
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
] as const;

/** The name of one known license field. */
export type LicenseField = (typeof LICENSE_FIELDS)[number];

/** The known fields of one license record, as the text the upstream sent. */
export type LicenseFields = Partial<Record<LicenseField, string>>;

/** `<error type="…" object="…"><msg>…</msg></error>`. */
export interface ErrorDocument {
  type: string;
  object: string | null;
  message: string;
}

/** A `<doc>` reply reduced to what this module knows. */
export interface BillmanagerReply {
  /** The error the upstream reported, or null on success. */
  error: ErrorDocument | null;
  /** Whether the reply carries `<ok/>` (what a performed change answers). */
  ok: boolean;
  /** `<auth id="…">` of a login reply. */
  authId: string | null;
  /** The known fields at the top of `<doc>`. */
  fields: LicenseFields;
  /** The known fields of each `<elem>` of a list reply. */
  elems: LicenseFields[];
}

const MAX_MESSAGE_LENGTH = 500;

/**
 * Parses one reply body. DTDs are refused outright (xml2js would not expand their entities anyway); the parsed tree
 * is read through {@link LICENSE_FIELDS} only.
 * @throws UpstreamProtocolError when the body is not a readable `<doc>`.
 */
export async function parseBillmanagerReply(body: string, func: string): Promise<BillmanagerReply> {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw protocolError(func, 'the reply declares a DTD');
  const root = await parseXml(body, func);
  if (!isRecord(root) || !Object.hasOwn(root, 'doc')) throw protocolError(func, 'the reply is not a <doc> document');
  const doc = root.doc;
  const error = readError(doc);
  if (error) return { error, ok: false, authId: null, fields: {}, elems: [] };
  return {
    error: null,
    ok: childValues(doc, 'ok').length > 0,
    authId: readAuthId(doc, func),
    fields: readFields(doc, func),
    elems: childValues(doc, 'elem').map((elem) => readFields(elem, func)),
  };
}

async function parseXml(body: string, func: string): Promise<unknown> {
  const parser = new Parser({ explicitArray: true, explicitRoot: true, strict: true, xmlns: false, async: false });
  try {
    return await parser.parseStringPromise(body);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : 'unknown parser error';
    throw protocolError(func, 'the reply is not well-formed XML', new Error(`XML parser: ${detail}`));
  }
}

function readFields(node: unknown, func: string): LicenseFields {
  const fields: LicenseFields = {};
  for (const name of LICENSE_FIELDS) {
    const text = singleText(node, name, func);
    if (text !== undefined) fields[name] = text;
  }
  return fields;
}

/** The first `<error>`, read leniently: an error document is never taken for success. */
function readError(doc: unknown): ErrorDocument | null {
  const [node] = childValues(doc, 'error');
  if (node === undefined) return null;
  const type = attribute(node, 'type') ?? 'unknown';
  const object = attribute(node, 'object');
  const [msg] = childValues(node, 'msg');
  const message = (msg === undefined ? textOf(node) : textOf(msg)) ?? '';
  return { type, object, message: message.trim().slice(0, MAX_MESSAGE_LENGTH) || `upstream error of type ${type}` };
}

function readAuthId(doc: unknown, func: string): string | null {
  const [node] = childValues(doc, 'auth');
  if (node === undefined) return null;
  const id = attribute(node, 'id') ?? singleText(doc, 'auth', func);
  return id?.trim() || null;
}

/** The values of the child elements called `name` (xml2js `explicitArray`), own properties only. */
function childValues(node: unknown, name: string): unknown[] {
  if (!isRecord(node) || !Object.hasOwn(node, name)) return [];
  const values = node[name];
  return Array.isArray(values) ? values : [];
}

/** The text of the single child `name`; undefined when absent; a protocol error when repeated or not text. */
function singleText(node: unknown, name: string, func: string): string | undefined {
  const values = childValues(node, name);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw protocolError(func, `<${name}> appears more than once`);
  const text = textOf(values[0]);
  if (text === null) throw protocolError(func, `<${name}> is not plain text`);
  return text;
}

/** The text content of an element without child elements; null when it has child elements. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return null;
  const keys = Object.keys(value).filter((key) => key !== '$');
  if (keys.length === 0) return '';
  if (keys.length === 1 && keys[0] === '_' && typeof value._ === 'string') return value._;
  return null;
}

function attribute(node: unknown, name: string): string | null {
  if (!isRecord(node) || !Object.hasOwn(node, '$')) return null;
  const attributes = node.$;
  if (!isRecord(attributes) || !Object.hasOwn(attributes, name)) return null;
  const value = attributes[name];
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function protocolError(func: string, reason: string, cause?: Error): UpstreamProtocolError {
  return new UpstreamProtocolError(`Unreadable reply from the licensing server to ${func}: ${reason}`, { cause });
}
