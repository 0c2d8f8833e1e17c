import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, DEFAULT_URL } from './api-client';
import { UsageError } from './cli-errors';
import { Output } from './output';

/** The options every command takes (defined on the program, given before or after the command's words). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  timeout: number;
}

/** What a command's action works with. */
export interface CommandContext {
  api: ApiClient;
  output: Output;
  /** How long `--wait` follows an operation or a run. */
  waitTimeoutMs: number;
}

/** The context of the command being run: flags first, then the environment, then the defaults. */
export function contextOf(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const url = options.url ?? process.env.PLM_URL ?? DEFAULT_URL;
  if (!/^https?:\/\/[^/]+/.test(url) || !URL.canParse(url))
    throw new UsageError(`PLM_URL (or --url) is not an http(s) URL: "${url}"`, `e.g. PLM_URL=${DEFAULT_URL}`);
  return {
    api: new ApiClient({ url, token: options.token ?? (process.env.PLM_TOKEN || undefined) }),
    output: Output.forProcess(Boolean(options.json)),
    waitTimeoutMs: options.timeout * 1000,
  };
}

/** A positive whole number of months, or `lifetime` (the contract's period). */
export function parsePeriod(value: string): number | 'lifetime' {
  if (value === 'lifetime') return value;
  if (/^[1-9]\d{0,3}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('a period is a whole number of months or "lifetime"');
}

export function parsePositiveInteger(value: string): number {
  if (/^[1-9]\d{0,5}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('a positive whole number');
}

/** A date (`2026-12-31`, midnight UTC) or an RFC 3339 time, as the API's time filters take it. */
export function parseTime(value: string): string {
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(withZone)) return withZone;
  throw new InvalidArgumentError('a date (2026-12-31) or an RFC 3339 time (2026-12-31T00:00:00Z)');
}

/** Collects a repeated option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The path of an id inside a URL. */
export const segment = encodeURIComponent;
