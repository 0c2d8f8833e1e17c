import { Counter, Histogram, type Registry } from 'prom-client';
import type { OperationRecord } from '../db/operation-store';
import type { UpstreamCall } from '../lifecycle/observed-module';
import type { AttemptFacts, RunVerdict } from '../lifecycle/operation-runner';

/** Seconds: an attempt runs one or a few upstream calls, each capped by the module's time-out (30 s at most). */
const ATTEMPT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const UPSTREAM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * What this process did: operation attempts and licensing-server calls, counted as they end. They live in the
 * process that did the work (a worker's attempts are counted in the worker's registry).
 */
export class ActivityMetrics {
  private readonly attempts: Counter<'event' | 'outcome'>;
  private readonly attemptSeconds: Histogram<'event'>;
  private readonly upstreamCalls: Counter<'licensing_server' | 'function' | 'outcome'>;
  private readonly upstreamSeconds: Histogram<'licensing_server' | 'function'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'plm_operation_attempts_total',
      help: 'Operation attempts by event and outcome (succeeded, failed, queued = retry later, waiting, lease-lost, skipped = a duplicate job)',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'plm_operation_attempt_duration_seconds',
      help: 'How long an operation attempt took, by event (duplicate jobs left out)',
      labelNames: ['event'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.upstreamCalls = new Counter({
      name: 'plm_upstream_calls_total',
      help: 'Licensing-server calls by server, module function and outcome (ok, rejected, unreachable, error)',
      labelNames: ['licensing_server', 'function', 'outcome'],
      registers,
    });
    this.upstreamSeconds = new Histogram({
      name: 'plm_upstream_call_duration_seconds',
      help: 'Latency of licensing-server calls by server and module function, whatever their outcome',
      labelNames: ['licensing_server', 'function'],
      buckets: UPSTREAM_BUCKETS,
      registers,
    });
  }

  /** Given to `OperationRunner` (through `startWorkers`): told after every attempt. */
  readonly observeAttempt = (op: OperationRecord, verdict: RunVerdict, attempt: AttemptFacts): void => {
    this.attempts.inc({ event: op.event, outcome: verdict });
    if (verdict !== 'skipped') this.attemptSeconds.observe({ event: op.event }, attempt.durationMs / 1000);
  };

  /** An `UpstreamCallObserver`: told after every licensing-server call. */
  readonly observeUpstreamCall = (call: UpstreamCall): void => {
    const labels = { licensing_server: call.licensingServer, function: call.fn };
    this.upstreamCalls.inc({ ...labels, outcome: call.outcome });
    this.upstreamSeconds.observe(labels, call.durationMs / 1000);
  };
}
