import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SecretUnreadableError } from '../../src/errors';
import { SecretBox, keyIdOf, type SecretLocation } from '../../src/security/secret-box';
import { legacyV1Envelope } from '../helpers/secrets';

const K1 = crypto.randomBytes(32);
const K2 = crypto.randomBytes(32);
const keyOfL1: SecretLocation = { table: 'licenses', column: 'activation_key_encrypted', rowId: 'L1' };
const keyOfL2: SecretLocation = { ...keyOfL1, rowId: 'L2' };
const otherColumnOfL1: SecretLocation = { table: 'licenses', column: 'name_encrypted', rowId: 'L1' };
const passwordOfL1: SecretLocation = { table: 'licensing_servers', column: 'password_encrypted', rowId: 'L1' };

/** Replaces the tag (third field from the end) of an envelope. */
function withTag(envelope: string, change: (tag: Buffer) => Buffer): string {
  const parts = envelope.split(':');
  const at = parts.length - 2;
  parts[at] = change(Buffer.from(parts[at]!, 'base64url')).toString('base64url');
  return parts.join(':');
}

function refuses(action: () => unknown, reason: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof SecretUnreadableError, String(error));
    assert.match(error.message, reason);
    return true;
  });
}

describe('SecretBox', () => {
  const box = new SecretBox(K1);

  it('writes a v2 envelope with the key id and reads it back at the same place', () => {
    const envelope = box.encrypt('KEY-AAAA-1111', keyOfL1);
    assert.match(envelope, new RegExp(`^v2:${keyIdOf(K1)}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    assert.equal(envelope.includes('KEY-AAAA'), false);
    assert.equal(box.decrypt(envelope, keyOfL1), 'KEY-AAAA-1111');
    assert.equal(box.keyId, keyIdOf(K1));
  });

  it('refuses a value copied to another row, another column or another table', () => {
    const envelope = box.encrypt('KEY-AAAA-1111', keyOfL1);
    for (const elsewhere of [keyOfL2, otherColumnOfL1, passwordOfL1]) {
      refuses(() => box.decrypt(envelope, elsewhere), /no configured key decrypts it here/);
    }
  });

  it('refuses a tampered tag, and a tag cut short even when what is left is genuine', () => {
    const envelope = box.encrypt('KEY-AAAA-1111', keyOfL1);
    const flipped = withTag(envelope, (tag) => Buffer.from(tag.map((byte, i) => (i === 0 ? byte ^ 1 : byte))));
    refuses(() => box.decrypt(flipped, keyOfL1), /no configured key decrypts/);
    for (const length of [12, 8, 4, 0]) {
      refuses(
        () =>
          box.decrypt(
            withTag(envelope, (tag) => tag.subarray(0, length)),
            keyOfL1,
          ),
        /tag is not 16 bytes/,
      );
    }
    const legacy = legacyV1Envelope(K1, 'KEY-OLD');
    refuses(
      () =>
        box.decrypt(
          withTag(legacy, (tag) => tag.subarray(0, 12)),
          keyOfL1,
        ),
      /tag is not 16 bytes/,
    );
  });

  it('refuses a tampered ciphertext and what is not an envelope', () => {
    const envelope = box.encrypt('KEY-AAAA-1111', keyOfL1);
    const parts = envelope.split(':');
    const ciphertext = Buffer.from(parts[4]!, 'base64url');
    ciphertext[0]! ^= 1;
    parts[4] = ciphertext.toString('base64url');
    refuses(() => box.decrypt(parts.join(':'), keyOfL1), /no configured key decrypts/);
    refuses(() => box.decrypt('KEY-AAAA-1111', keyOfL1), /not an encrypted secret/);
  });

  it('still reads a v1 value (no associated data, no key id), with the current or the previous key', () => {
    assert.equal(box.decrypt(legacyV1Envelope(K1, 'KEY-OLD'), keyOfL1), 'KEY-OLD');
    assert.equal(new SecretBox(K2, K1).decrypt(legacyV1Envelope(K1, 'KEY-OLD'), keyOfL2), 'KEY-OLD');
    refuses(() => new SecretBox(K2).decrypt(legacyV1Envelope(K1, 'KEY-OLD'), keyOfL1), /no configured key/);
    assert.equal(box.isCurrent(legacyV1Envelope(K1, 'KEY-OLD')), false);
  });

  it('decrypts with the previous key, encrypts with the current one, and names a key it does not hold', () => {
    const underK1 = box.encrypt('pass', passwordOfL1);
    const rotating = new SecretBox(K2, K1);
    assert.equal(rotating.decrypt(underK1, passwordOfL1), 'pass');
    assert.equal(rotating.isCurrent(underK1), false);
    const underK2 = rotating.encrypt('pass', passwordOfL1);
    assert.ok(underK2.startsWith(`v2:${keyIdOf(K2)}:`));
    assert.equal(rotating.isCurrent(underK2), true);
    refuses(
      () => new SecretBox(K2).decrypt(underK1, passwordOfL1),
      new RegExp(`licensing_servers.password_encrypted of row "L1": made by key ${keyIdOf(K1)}`),
    );
  });
});
