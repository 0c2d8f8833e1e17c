import { Command, CommanderError, Option } from 'commander';
import { registerAlertAndReportCommands } from './alert-and-report-commands';
import { DEFAULT_URL } from './api-client';
import { ApiError, CliError, ExitCode } from './cli-errors';
import { parsePositiveInteger } from './context';
import { registerHookCommand } from './hook-command';
import { registerLicenseCommands } from './license-commands';
import { registerOperationCommands } from './operation-commands';
import { registerPoolCommands } from './pool-commands';
import { registerReconcileCommands } from './reconcile-commands';
import { registerServiceCommands } from './service-commands';

const HELP_FOOTER = `
Environment:
  PLM_URL          the service (default ${DEFAULT_URL}); --url overrides it
  PLM_TOKEN        a bearer token (admin, or viewer for reads); --token overrides it.
                   In development the admin token is "adminToken" in var/secrets.json.
  PLM_HOOK_SECRET  the service's hooks.secret, for plm hook (development: "hookSecret" in var/secrets.json)
  NO_COLOR         no colour even on a terminal

Exit codes:
  0 ok · 1 the API answered an error, or the operation waited for failed · 2 usage or configuration error (bad flag,
  no token) · 3 the service cannot be reached`;

/** Builds the `plm` program; each command group registers itself. */
export function buildProgram(): { program: Command; commandName: () => string } {
  let running = 'plm';
  const program = new Command('plm')
    .description('the operator CLI of the panel license module, over its admin API')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .option('--url <url>', `the service's URL (env PLM_URL, default ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token (env PLM_TOKEN)')
    .option('--json', "print the API's JSON as is, for scripts")
    .addOption(new Option('--timeout <seconds>', 'how long --wait waits').argParser(parsePositiveInteger).default(120))
    .addHelpText('after', HELP_FOOTER)
    .hook('preAction', (_program, action) => {
      running = commandPath(action);
    });
  registerLicenseCommands(program);
  registerPoolCommands(program);
  registerOperationCommands(program);
  registerReconcileCommands(program);
  registerAlertAndReportCommands(program);
  registerServiceCommands(program);
  registerHookCommand(program);
  return { program, commandName: () => running };
}

/** Runs `plm` with `argv` (as process.argv); resolves with the exit code. */
export async function runPlm(argv: readonly string[]): Promise<number> {
  const { program, commandName } = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (err) {
    return report(err, commandName(), Boolean(program.opts().json));
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Prints what went wrong and the fix on stderr (and an API error's JSON on stdout under --json). */
function report(err: unknown, command: string, json: boolean): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (!(err instanceof CliError)) {
    process.stderr.write(`plm: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.failed;
  }
  if (err instanceof ApiError) {
    if (json) process.stdout.write(`${JSON.stringify(err.body, null, 2)}\n`);
    const details =
      err.details === null || err.details === undefined ? '' : `\n  details: ${JSON.stringify(err.details)}`;
    process.stderr.write(`plm: ${err.code} (HTTP ${err.status}): ${err.message}${details}\n`);
    const fix = fixFor(err, command);
    if (fix) process.stderr.write(`  fix: ${fix}\n`);
    return err.exitCode;
  }
  process.stderr.write(`plm: ${err.message}\n`);
  if (err.fix) process.stderr.write(`  fix: ${err.fix}\n`);
  return err.exitCode;
}

/** What a person can do about an API error. */
export function fixFor(err: ApiError, command: string): string | undefined {
  const route = `${err.request.method} ${err.request.path.split('?')[0]}`;
  switch (err.status) {
    case 400:
      return `check the values given: ${command} --help`;
    case 401:
      return err.request.path.startsWith('/v1/hooks/')
        ? "PLM_HOOK_SECRET is not the service's hooks.secret (or this clock is more than hooks.toleranceSeconds off)"
        : 'PLM_TOKEN is not a known token of this service: check it (in development: adminToken in var/secrets.json)';
    case 403: {
      const role = /role "([^"]+)"/.exec(err.message)?.[1] ?? 'unknown';
      const needed = (err.details as { roles?: string[] } | null)?.roles ?? ['admin'];
      return `this token's role (${role}) may not run "${command}" (${route}): use a token of role ${needed.join(' or ')}`;
    }
    case 404:
      return err.message.startsWith('no route')
        ? `this service does not serve ${route} yet: it is older than this plm`
        : 'check the id: plm licenses list, plm operations list and plm info show what exists';
    case 409:
      return conflictFix(err);
    case 503:
      return 'a dependency of the service is down: GET /readyz names it';
    default:
      return err.status >= 500 ? "the service failed: see the service's log" : undefined;
  }
}

function conflictFix(err: ApiError): string | undefined {
  switch (err.code) {
    case 'license_bound': {
      const serviceId = (err.details as { serviceId?: string } | null)?.serviceId ?? 'ID';
      return `a bound license goes with its service: plm hook close --service ${serviceId}; or suspend it instead`;
    }
    case 'not_retryable':
      return 'only failed or waiting operations can be retried: plm operations list --status failed';
    case 'already_known':
      return 'the service holds it already: plm licenses list --id <upstream id>';
    default:
      return undefined;
  }
}
