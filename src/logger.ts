import pino, { type Logger } from 'pino';

/**
 * Paths whose values never reach a log line, wherever an object carrying them is logged. Passwords, tokens,
 * secrets and activation keys are named here once for the whole service.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'passwordEncrypted',
  '*.passwordEncrypted',
  'activationKey',
  '*.activationKey',
  'lickey',
  '*.lickey',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
  'encryptionKey',
  '*.encryptionKey',
  'encryptionKeyPrevious',
  '*.encryptionKeyPrevious',
  // The SMTP URL of alert e-mail carries the SMTP password (`smtp://user:pass@host`).
  'email.url',
  '*.email.url',
  'alerts.email.url',
  '*.alerts.email.url',
];

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'license-module',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
