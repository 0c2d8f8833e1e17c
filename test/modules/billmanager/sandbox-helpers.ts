import type { LicensingServerModule } from '../../../src/domain/licensing-module';
import { startSandbox, type SandboxHandle } from '../../../src/sandbox/server';
import { billmanagerModule } from '../../../modules/billmanager';
import { RecordingLogger } from './helpers';

/** A fixed start (mid-month, so "same calendar month" is stable): 2025-03-10 12:00 UTC. */
export const SANDBOX_START = new Date('2025-03-10T12:00:00Z');
export const MINUTE_MS = 60 * 1000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
/** The sandbox's codes (docs/billmanager-api.md): configuration, not code. */
export const SANDBOX_PERIOD_CODES = { lifetime: -100, trial: -50 };

/** A password worth looking for in errors and logs (the sandbox's default, `sandbox`, is an ordinary word). */
export const SANDBOX_PASSWORD = 'Sandb0x-s3cret pass&word';

/** Starts one sandbox per test (beforeEach) and closes it (afterEach); returns an accessor. */
export function useSandbox(): () => SandboxHandle {
  let sandbox: SandboxHandle | undefined;
  beforeEach(async () => {
    sandbox = await startSandbox({
      startTime: SANDBOX_START,
      accounts: [{ username: 'reseller', password: SANDBOX_PASSWORD }],
    });
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });
  return () => {
    if (!sandbox) throw new Error('the sandbox is not running');
    return sandbox;
  };
}

/** The module over real HTTP against the sandbox, built through the registered definition. */
export function moduleFor(
  sandbox: SandboxHandle,
  settings: object = {},
  overrides: { password?: string } = {},
  logger = new RecordingLogger(),
): LicensingServerModule {
  return billmanagerModule.create(
    {
      url: sandbox.apiUrl,
      username: sandbox.username,
      password: overrides.password ?? sandbox.password,
      settings: billmanagerModule.parseSettings({ periodCodes: SANDBOX_PERIOD_CODES, timeoutMs: 5000, ...settings }),
    },
    { logger },
  );
}

/** How many calls of `func` the sandbox has seen. */
export function countCalls(sandbox: SandboxHandle, func: string): number {
  return sandbox.calls().filter((call) => call.func === func).length;
}
