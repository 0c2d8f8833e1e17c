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
];

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'license-module',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
