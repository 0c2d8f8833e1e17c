import crypto from 'node:crypto';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, as hooks carry and callbacks send. */
export function signPayload(secret: string, body: string | Buffer, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

function hmac(secret: string, t: number | string, body: string | Buffer): string {
  return crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** Checks a signature header against the raw body; a reason when it does not hold. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: Buffer,
  toleranceSeconds: number,
  nowMs = Date.now(),
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'the X-Signature header is missing' };
  const parts = new Map(header.split(',').map(splitAtFirstEquals));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/i.test(v1))
    return { ok: false, reason: 'the X-Signature header is malformed' };
  if (Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds)
    return { ok: false, reason: 'the signature timestamp is too far from now' };
  const expected = Buffer.from(hmac(secret, t, rawBody), 'hex');
  if (!crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex')))
    return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}

/** `k=v` → [k, v]; everything after the first `=` is the value, so junk appended to a value makes it malformed. */
function splitAtFirstEquals(part: string): [string, string | undefined] {
  const trimmed = part.trim();
  const at = trimmed.indexOf('=');
  return at < 0 ? [trimmed, undefined] : [trimmed.slice(0, at), trimmed.slice(at + 1)];
}
