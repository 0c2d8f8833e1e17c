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

describe('log redaction of the alert SMTP URL', () => {
  it('never writes the SMTP URL (it holds the password), in the config or in an e-mail section', () => {
    const smtpUrl = `smtp://alerts:${crypto.randomBytes(8).toString('hex')}@mail.example.net:587`;
    const { logger, text } = recordingLogger();
    logger.info({ alerts: { email: { url: smtpUrl, from: 'lm@example.net' } } }, 'config');
    logger.info({ config: { alerts: { email: { url: smtpUrl } } } }, 'nested config');
    logger.info({ email: { url: smtpUrl } }, 'section');
    assert.equal(text().includes(smtpUrl), false);
    assert.equal(text().match(/\[redacted\]/g)?.length, 3);
    assert.ok(text().includes('lm@example.net'), 'the rest stays');
  });
});
