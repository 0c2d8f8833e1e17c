/** The XML replies of the API, written by hand with escaping (the shapes are few and fixed). */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
// Characters XML 1.0 does not allow at all; they are dropped rather than escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for an element body or an attribute value. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<name>text</name>` for each field, in order. */
export function elements(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
}

/** A whole reply document around `inner` (already-escaped XML). */
export function doc(inner: string): string {
  return `${XML_DECLARATION}<doc>${inner}</doc>\n`;
}

/** `<doc><ok/>…</doc>` */
export function okDoc(inner = ''): string {
  return doc(`<ok/>${inner}`);
}

/** `<doc><error type="…" object="…"><msg>…</msg></error></doc>` */
export function errorDoc(type: string, object: string, message: string): string {
  return doc(`<error type="${escapeXml(type)}" object="${escapeXml(object)}"><msg>${escapeXml(message)}</msg></error>`);
}

/** `<doc><auth id="SESSION">SESSION</auth></doc>` */
export function authDoc(sessionId: string): string {
  const id = escapeXml(sessionId);
  return doc(`<auth id="${id}">${id}</auth>`);
}
