/**
 * Timing that cannot order twice. An upstream call whose outcome is unknown is looked up only
 * `worker.reconcileDelayMs` after it started; if the call could still be in flight then (a login and the call itself,
 * each up to the module's `timeoutMs`), the lookup finds nothing and a second order follows. Likewise a lease shorter
 * than one call lets another worker take an operation whose call is still running.
 */

/** Slack for event-loop pauses, scheduling and clock differences between processes. */
export const WORKER_TIMING_MARGIN_MS = 10_000;

/** A licensing module's per-request deadline when its settings do not say (the billmanager default). */
export const DEFAULT_MODULE_TIMEOUT_MS = 15_000;

export interface WorkerTiming {
  reconcileDelayMs: number;
  leaseMs: number;
}

/** The smallest `reconcileDelayMs` and `leaseMs` that are safe with calls of up to `longestTimeoutMs` each. */
export function minimumWorkerTiming(longestTimeoutMs: number): WorkerTiming {
  return {
    reconcileDelayMs: 2 * longestTimeoutMs + WORKER_TIMING_MARGIN_MS,
    leaseMs: longestTimeoutMs + WORKER_TIMING_MARGIN_MS,
  };
}

/**
 * Why `timing` is unsafe with upstream calls of up to `longestTimeoutMs`, or null when it is safe. The message names
 * both worker fields and the figures, so whoever reads it knows which to raise (or which `timeoutMs` to lower).
 */
export function workerTimingProblem(timing: WorkerTiming, longestTimeoutMs: number): string | null {
  const minimum = minimumWorkerTiming(longestTimeoutMs);
  if (timing.reconcileDelayMs >= minimum.reconcileDelayMs && timing.leaseMs >= minimum.leaseMs) return null;
  return (
    `worker.reconcileDelayMs (${timing.reconcileDelayMs}) must be at least twice the longest licensing-server ` +
    `timeoutMs (${longestTimeoutMs}) plus ${WORKER_TIMING_MARGIN_MS} ms, i.e. ${minimum.reconcileDelayMs}, and ` +
    `worker.leaseMs (${timing.leaseMs}) at least that timeoutMs plus ${WORKER_TIMING_MARGIN_MS} ms, i.e. ` +
    `${minimum.leaseMs}: raise them or lower the licensing server's settings.timeoutMs`
  );
}

/** The per-request deadline a module's parsed settings carry as `timeoutMs`, else the default. */
export function moduleTimeoutMs(settings: unknown): number {
  const timeoutMs = (settings as { timeoutMs?: unknown } | null)?.timeoutMs;
  return typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs : DEFAULT_MODULE_TIMEOUT_MS;
}
