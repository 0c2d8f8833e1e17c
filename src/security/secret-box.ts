import crypto from 'node:crypto';
import { SecretUnreadableError } from '../errors';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
/** GCM tags can be cut short; a shorter tag makes forgery easier, so only full 16-byte tags are accepted. */
const TAG_BYTES = 16;
const VERSION = 'v2';
/**
 * The first envelope (`v1:<iv>:<tag>:<ciphertext>`): no associated data, no key id. Still read, so databases
 * written before v2 keep working, until `npm run rotate-key` has re-encrypted every value as v2.
 */
const LEGACY_VERSION = 'v1';

/**
 * Where a secret is stored. It is bound to the ciphertext as AES-GCM associated data
 * (`<table>.<column>.<rowId>`), so a value copied to another row or column does not decrypt.
 */
export interface SecretLocation {
  table: string;
  column: string;
  rowId: string;
}

interface Key {
  id: string;
  bytes: Buffer;
}

/**
 * Encrypts secrets at rest (licensing-server passwords, activation keys) with AES-256-GCM. The envelope is
 * `v2:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts); the key id is the first 4 bytes of the key's SHA-256 in
 * hex, so a value says which key made it without telling anything about the key. The current key encrypts; the
 * previous one (`ENCRYPTION_KEY_PREVIOUS`, during a rotation) only decrypts. A wrong key, a value moved to another
 * place or a tampered value fails loudly instead of decrypting to garbage.
 */
export class SecretBox {
  private readonly current: Key;
  private readonly keys: readonly Key[];

  constructor(key: Buffer, previousKey: Buffer | null = null) {
    this.current = toKey(key, 'the encryption key');
    this.keys = previousKey ? [this.current, toKey(previousKey, 'the previous encryption key')] : [this.current];
  }

  /** The id the current key writes into every envelope. */
  get keyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, location: SecretLocation): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv(ALGORITHM, this.current.bytes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(location));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return [VERSION, this.current.id, ...parts].join(':');
  }

  /** Throws {@link SecretUnreadableError} unless one of the keys decrypts the value for exactly this location. */
  decrypt(envelope: string, location: SecretLocation): string {
    const parts = envelope.split(':');
    if (parts[0] === VERSION && parts.length === 5) {
      const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
      const keys = this.keys.filter((key) => key.id === keyId);
      if (!keys.length) {
        throw new SecretUnreadableError(
          location,
          `made by key ${keyId}, which is neither the current nor the previous key`,
        );
      }
      return this.open(keys, { iv, tag, ciphertext, aad: associatedData(location) }, location);
    }
    if (parts[0] === LEGACY_VERSION && parts.length === 4) {
      const [, iv, tag, ciphertext] = parts as [string, string, string, string];
      return this.open(this.keys, { iv, tag, ciphertext, aad: null }, location);
    }
    throw new SecretUnreadableError(location, 'not an encrypted secret');
  }

  /** True when the value is a v2 envelope of the current key: rotation leaves it as it is. */
  isCurrent(envelope: string): boolean {
    const [version, keyId] = envelope.split(':');
    return version === VERSION && keyId === this.current.id;
  }

  private open(
    keys: readonly Key[],
    sealed: { iv: string; tag: string; ciphertext: string; aad: Buffer | null },
    location: SecretLocation,
  ): string {
    const iv = Buffer.from(sealed.iv, 'base64url');
    const tag = Buffer.from(sealed.tag, 'base64url');
    if (iv.length !== IV_BYTES) throw new SecretUnreadableError(location, `the IV is not ${IV_BYTES} bytes`);
    if (tag.length !== TAG_BYTES) throw new SecretUnreadableError(location, `the tag is not ${TAG_BYTES} bytes`);
    const ciphertext = Buffer.from(sealed.ciphertext, 'base64url');
    for (const key of keys) {
      try {
        const decipher = crypto.createDecipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
        if (sealed.aad) decipher.setAAD(sealed.aad);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Authentication failed under this key: try the next one.
      }
    }
    throw new SecretUnreadableError(location, 'no configured key decrypts it here (wrong key, tampered or moved)');
  }
}

function associatedData(location: SecretLocation): Buffer {
  return Buffer.from(`${location.table}.${location.column}.${location.rowId}`, 'utf8');
}

function toKey(bytes: Buffer, what: string): Key {
  if (bytes.length !== 32) throw new Error(`${what} must be 32 bytes`);
  return { id: keyIdOf(bytes), bytes };
}

/** The first 4 bytes of the key's SHA-256, in hex: names a key in envelopes and messages without revealing it. */
export function keyIdOf(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Reads a 32-byte key given as 64 hex characters or as base64; null when it is neither. */
export function parseEncryptionKey(text: string): Buffer | null {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(text) ? decoded : null;
}

export function generateEncryptionKey(): string {
  return crypto.randomBytes(32).toString('hex');
}
