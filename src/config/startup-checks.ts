import fs from 'node:fs';
import path from 'node:path';
import { findLicensingModule } from '../../modules';
import { moduleTimeoutMs, workerTimingProblem } from '../domain/worker-timing';
import { ConfigError } from '../errors';
import type { ParsedConfig } from './schema';

/**
 * The longest per-request deadline (`settings.timeoutMs`, module default when absent) of the licensing servers the
 * configuration file declares; 0 when it declares none. A server of an unknown module, or with settings its module
 * refuses, is a `ConfigError` naming the field.
 */
export function longestConfiguredTimeoutMs(catalog: ParsedConfig['catalog']): number {
  let longest = 0;
  for (const [index, server] of (catalog?.licensingServers ?? []).entries()) {
    const field = `catalog.licensingServers[${index}] ("${server.key}")`;
    const definition = findLicensingModule(server.module);
    if (!definition) throw new ConfigError(`${field}.module: unknown module "${server.module}"`);
    let settings: unknown;
    try {
      settings = definition.parseSettings(server.settings);
    } catch (error) {
      throw new ConfigError(`${field}.settings: ${(error as Error).message}`);
    }
    longest = Math.max(longest, moduleTimeoutMs(settings));
  }
  return longest;
}

/** Whether the worker-timing rule applies: everywhere but `test` (see {@link assertWorkerTiming}). */
export function workerTimingEnforced(env: ParsedConfig['env']): boolean {
  return env !== 'test';
}

/**
 * Refuses worker timing that could order twice (see `domain/worker-timing.ts`) against the longest `timeoutMs` of
 * `longestTimeoutMs` (the file's licensing servers at load; every stored one once the service has its database).
 * `test` skips it: the test suites shrink leases and delays on purpose against a sandbox that answers at once.
 */
export function assertWorkerTiming(
  config: Pick<ParsedConfig, 'env' | 'worker'>,
  longestTimeoutMs: number,
  where = 'the configuration',
): void {
  if (!workerTimingEnforced(config.env) || longestTimeoutMs <= 0) return;
  const problem = workerTimingProblem(config.worker, longestTimeoutMs);
  if (problem) throw new ConfigError(`${where}: ${problem}`);
}

/** `http.tls` with absolute paths, after checking that both files can be read; a `ConfigError` names the field. */
export function resolveTlsFiles(
  tls: ParsedConfig['http']['tls'],
  cwd: string,
): ParsedConfig['http']['tls'] | undefined {
  if (!tls) return undefined;
  return {
    certFile: readableFile('http.tls.certFile', path.resolve(cwd, tls.certFile)),
    keyFile: readableFile('http.tls.keyFile', path.resolve(cwd, tls.keyFile)),
  };
}

function readableFile(field: string, file: string): string {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw new Error('not a file');
  } catch (error) {
    throw new ConfigError(
      `${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return file;
}

/**
 * The key that signs alert webhooks: `alerts.webhookSecret`, else `platform.callbackSecret`; null without
 * `alerts.webhookUrl`. Never `hooks.secret`: that key authenticates incoming hooks, and whoever verifies alerts (a
 * third party) could forge hooks with it. A `ConfigError` naming `alerts.webhookSecret` when neither key is set.
 */
export function alertWebhookSecret(config: Pick<ParsedConfig, 'alerts' | 'platform'>): string | null {
  if (!config.alerts.webhookUrl) return null;
  const secret = config.alerts.webhookSecret ?? config.platform.callbackSecret;
  if (!secret)
    throw new ConfigError(
      'alerts.webhookSecret (ALERT_WEBHOOK_SECRET): required with alerts.webhookUrl unless platform.callbackSecret ' +
        'is set (alert webhooks are never signed with hooks.secret, the key of incoming hooks)',
    );
  return secret;
}
