/**
 * `npm run sandbox`: a sandbox licensing server for development and demos.
 *
 * Environment: `SANDBOX_PORT` (default 8089), `SANDBOX_HOST` (default 127.0.0.1), `SANDBOX_USERNAME` /
 * `SANDBOX_PASSWORD` (default `reseller` / `sandbox`), `SANDBOX_BALANCE` (default 1000000), `SANDBOX_LATENCY_MS`
 * (default 0), `LOG_LEVEL` (default info).
 */
import pino from 'pino';
import { z } from 'zod';
import { startSandbox } from './server';
import type { SandboxCall, SandboxHandle } from './types';

const envSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8089),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_USERNAME: z.string().min(1).default('reseller'),
  SANDBOX_PASSWORD: z.string().min(1).default('sandbox'),
  SANDBOX_BALANCE: z.coerce.number().finite().default(1_000_000),
  SANDBOX_LATENCY_MS: z.coerce.number().int().nonnegative().default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    console.error(`Invalid sandbox configuration:\n${z.prettifyError(parsed.error)}`);
    process.exitCode = 1;
    return;
  }
  const env = parsed.data;
  const logger = pino({ name: 'sandbox', level: env.LOG_LEVEL });
  const sandbox = await startSandbox({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    accounts: [{ username: env.SANDBOX_USERNAME, password: env.SANDBOX_PASSWORD, balance: env.SANDBOX_BALANCE }],
    latencyMs: env.SANDBOX_LATENCY_MS,
    onCall: (call) => logCall(logger, call),
  });
  printBanner(sandbox);
  logger.info({ apiUrl: sandbox.apiUrl, username: sandbox.username }, 'sandbox listening');
  stopOnSignals(sandbox, logger);
}

/** One structured line per call; the call entry already lacks passwords and session ids, and never has keys. */
function logCall(logger: pino.Logger, call: SandboxCall): void {
  const { at, func, outcome, errorType, licenseId, account, fault, performed, params } = call;
  const level = outcome === 'ok' ? 'info' : 'warn';
  logger[level]({ at, func, outcome, errorType, licenseId, account, fault, performed, params }, 'api call');
}

function printBanner(sandbox: SandboxHandle): void {
  console.log(
    [
      `Sandbox licensing server listening on ${sandbox.url}`,
      `  API endpoint:  ${sandbox.apiUrl}`,
      `  Control API:   ${sandbox.url}/_sandbox/state`,
      `  Credentials:   ${sandbox.username} / ${sandbox.password}`,
    ].join('\n'),
  );
}

function stopOnSignals(sandbox: SandboxHandle, logger: pino.Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping sandbox');
    sandbox.close().then(
      () => logger.info('sandbox stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'sandbox did not stop cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('Sandbox failed to start:', error);
  process.exitCode = 1;
});
