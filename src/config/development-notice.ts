import path from 'node:path';
import type { LoadedConfig } from './load-config';

/**
 * The lines of the start-up banner of a development process, or none outside development: so nobody mistakes a
 * development service (example catalog, sandbox, generated secrets) for one that spends real money.
 */
export function developmentNotice({ config, configFile, notes }: LoadedConfig): string[] {
  if (config.env !== 'development') return [];
  const sandboxServers =
    config.sandbox.enabled === false
      ? []
      : (config.catalog?.licensingServers ?? []).filter((s) => s.url === 'sandbox').map((s) => s.key);
  const secretsNote = notes.find((note) => note.startsWith('development secrets'));
  return [
    'WARNING: DEVELOPMENT MODE, not for real licenses or real money.',
    `  catalog:  ${catalogSource(configFile)}`,
    `  sandbox:  ${sandboxServers.length ? `licensing servers ${sandboxServers.join(', ')} are the in-process SANDBOX; nothing real is ordered` : 'not used'}`,
    `  secrets:  ${secretsNote ?? 'all given'}`,
    `  HTTP API: bound to ${config.http.host}${config.http.host === '127.0.0.1' ? ' (this machine only)' : ''}`,
    '  For production: NODE_ENV=production npm run start:prod (after npm run build), see README "Production".',
  ];
}

function catalogSource(configFile: string | null): string {
  if (!configFile) return 'no configuration file';
  return path.basename(configFile) === 'config.example.json' ? `${configFile} (the EXAMPLE catalog)` : configFile;
}

/** The notice as one boxed block for a terminal. */
export function boxed(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  return [edge, ...lines.map((line) => `| ${line.padEnd(width)} |`), edge].join('\n');
}
