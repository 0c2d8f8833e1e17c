import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from '../../src/logger';

/** The service's redaction, writing into memory. */
function recordingLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  return { logger, text: () => chunks.join('') };
}

describe('log redaction of the encryption keys', () => {
  it('never writes the current or the previous key, at the top or one level down', () => {
    const current = crypto.randomBytes(32).toString('hex');
    const previous = crypto.randomBytes(32).toString('hex');
    const { logger, text } = recordingLogger();
    logger.info({ encryptionKey: current, encryptionKeyPrevious: previous }, 'top level');
    logger.info({ config: { encryptionKey: current, encryptionKeyPrevious: previous } }, 'nested');
    assert.equal(text().split('\n').filter(Boolean).length, 2);
    assert.equal(text().includes(current), false);
    assert.equal(text().includes(previous), false);
    assert.equal(text().match(/\[redacted\]/g)?.length, 4);
  });
});
