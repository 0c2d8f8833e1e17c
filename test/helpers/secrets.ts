import crypto from 'node:crypto';
import type { AdoptedLicense } from '../../src/db/license-store';

/** A value as the first SecretBox envelope (v1: no associated data, no key id) wrote it, for compatibility tests. */
export function legacyV1Envelope(key: Buffer, plaintext: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'))].join(':');
}

/** A pooled (adopted) license of licensing server `isp` (price list 3541, paid until 2030) holding `activationKey`. */
export function pooledLicense(id: string, activationKey: string | null): AdoptedLicense {
  return {
    id,
    licensingServer: 'isp',
    upstreamId: `up-${id}`,
    priceList: '3541',
    period: 12,
    ip: null,
    name: null,
    status: 'active',
    paidUntil: new Date('2030-01-01T00:00:00Z'),
    activationKey,
  };
}
