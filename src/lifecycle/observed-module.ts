import type { LicensingServerModule } from '../domain/licensing-module';
import { UpstreamError, UpstreamUnavailableError } from '../errors';

/** The module functions that reach the licensing server. */
export type UpstreamFunction = keyof LicensingServerModule;

/**
 * How one upstream call ended: `ok`; `rejected` (the server answered with a refusal, a not-found or an auth error:
 * it is reachable); `unreachable` (no answer: network failure, time-out, 5xx); `error` (anything else, e.g. a reply
 * that could not be read).
 */
export type UpstreamCallOutcome = 'ok' | 'rejected' | 'unreachable' | 'error';

export interface UpstreamCall {
  licensingServer: string;
  fn: UpstreamFunction;
  outcome: UpstreamCallOutcome;
  durationMs: number;
  /** The error's code when the call failed (e.g. `upstream_balance`). */
  errorCode: string | null;
}

/** Told of every upstream call after it ended (metrics, alerts). Must not throw and must return at once. */
export type UpstreamCallObserver = (call: UpstreamCall) => void;

const FUNCTIONS: readonly UpstreamFunction[] = [
  'checkConnection',
  'order',
  'get',
  'list',
  'findByReference',
  'edit',
  'changeIp',
  'rename',
  'regenerateKey',
  'prolong',
  'suspend',
  'resume',
  'remove',
];

/** The paid functions: an order and a renewal cost money. */
export const PAID_FUNCTIONS: ReadonlySet<UpstreamFunction> = new Set(['order', 'prolong']);

export function outcomeOf(error: unknown): UpstreamCallOutcome {
  if (error instanceof UpstreamUnavailableError) return 'unreachable';
  if (error instanceof UpstreamError) return error.retryable ? 'error' : 'rejected';
  return 'error';
}

/**
 * Wraps a module so that every call is reported to the observers (read at each call: observers added after the
 * module was made are told too); the calls themselves are unchanged.
 */
export function observeModule(
  module: LicensingServerModule,
  licensingServer: string,
  observers: readonly UpstreamCallObserver[],
): LicensingServerModule {
  const observed = {} as Record<UpstreamFunction, unknown>;
  for (const fn of FUNCTIONS) {
    const call = (module[fn] as (...args: unknown[]) => Promise<unknown>).bind(module);
    observed[fn] = async (...args: unknown[]) => {
      const started = performance.now();
      const report = (outcome: UpstreamCallOutcome, errorCode: string | null) => {
        const durationMs = performance.now() - started;
        for (const observer of observers) {
          // An observer's failure must never turn a call that went through (a paid order) into one that failed.
          try {
            observer({ licensingServer, fn, outcome, durationMs, errorCode });
          } catch {
            // Observers log their own failures; the call's outcome stands.
          }
        }
      };
      let result: unknown;
      try {
        result = await call(...args);
      } catch (error) {
        report(outcomeOf(error), (error as { code?: unknown }).code?.toString() ?? null);
        throw error;
      }
      report('ok', null);
      return result;
    };
  }
  return observed as unknown as LicensingServerModule;
}
