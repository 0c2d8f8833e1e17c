import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { KnexAlertFacts } from '../db/alert-facts';
import type { AlertEscalation, AlertRecord, AlertStore } from '../db/alert-store';
import type { OperationRecord } from '../db/operation-store';
import {
  alertChannels,
  BALANCE_REFUSED_CODE,
  balanceRefusedDraft,
  operationFailedDraft,
  RENEWAL_EVENTS,
  renewalFailingDraft,
  renewalKeepsFailing,
  SPEND_LIMIT_CODE,
  spendLimitDraft,
  upstreamUnreachableDraft,
  type AlertDraft,
} from '../domain/alert-rules';
import type { AlertChannel } from '../domain/alerts';
import type { AlertSignals, FailedAttempt } from './alert-signals';
import { PAID_FUNCTIONS, type UpstreamCall, type UpstreamFunction } from './observed-module';
import { OpenAlertsView } from './open-alerts-view';

/** How long this process trusts its view of the open alerts before reading them again. */
const VIEW_TTL_MS = 5000;
/** Unreachable calls in a row (no answer between them) after which a licensing server counts as down. */
export const UNREACHABLE_CALLS_IN_A_ROW = 3;

export interface AlertBookDeps {
  db: Knex;
  alerts: AlertStore;
  alertFacts: KnexAlertFacts;
  config: Pick<Config['alerts'], 'webhookUrl' | 'email'>;
  logger: Logger;
  /** The clock of openings, escalations and resolutions: injectable, so tests move time instead of sleeping. */
  now: () => Date;
}

/**
 * The alerts' rules where things happen (SPEC.md "Alerts and escalation"): the operation runner's signals open
 * `renewal_failing`, `balance_refused`, `spend_limit` and `operation_failed` and resolve what a success settles;
 * the upstream-call observer opens `upstream_unreachable` once a server stays unreachable (several calls in a row;
 * a reconciliation that could not reach it says so at once), resolves it at any answer, and resolves the money
 * alerts when a paid call goes through. What time and the database tell (escalations, retries, probes, drift, pool
 * tips, causes gone) is the sweep's (`alert-sweep.ts`). Every opening, escalation and resolution is notified on the
 * configured channels.
 */
export class AlertBook implements AlertSignals {
  readonly channels: readonly AlertChannel[];
  readonly view: OpenAlertsView;
  private readonly inFlight = new Set<Promise<void>>();
  /** Openings and resolutions the observer has under way, so a burst of calls starts each only once. */
  private readonly pending = new Set<string>();
  /** Per licensing server, the calls in a row that got no answer in this process (any answer resets it). */
  private readonly unreachableInARow = new Map<string, number>();

  constructor(private readonly deps: AlertBookDeps) {
    this.channels = alertChannels(deps.config);
    this.view = new OpenAlertsView(deps.alerts, VIEW_TTL_MS);
  }

  now(): Date {
    return this.deps.now();
  }

  // --- primitives (each in the given transaction; the view follows what was written) ---

  async open(draft: AlertDraft, trx: Knex.Transaction): Promise<{ alert: AlertRecord; opened: boolean }> {
    const result = await this.deps.alerts.open(draft, this.channels, this.now(), trx);
    this.view.remember(result.alert);
    if (result.opened)
      this.deps.logger.warn(
        { alertId: result.alert.id, kind: draft.kind, severity: result.alert.severity, subject: draft.subject },
        `alert opened: ${draft.message}`,
      );
    return result;
  }

  async escalate(alert: AlertRecord, change: AlertEscalation, trx: Knex.Transaction): Promise<AlertRecord | null> {
    const escalated = await this.deps.alerts.escalate(alert.id, change, this.channels, this.now(), trx);
    if (escalated) {
      this.view.remember(escalated);
      this.deps.logger.warn(
        { alertId: alert.id, kind: alert.kind, severity: escalated.severity, escalations: escalated.escalations },
        'alert escalated',
      );
    }
    return escalated;
  }

  async resolve(alert: Pick<AlertRecord, 'id' | 'kind'>, trx: Knex.Transaction, why: string): Promise<boolean> {
    const resolved = await this.deps.alerts.resolve(alert.id, this.channels, this.now(), trx);
    this.view.forget(alert.id);
    if (!resolved) return false;
    this.deps.logger.info({ alertId: alert.id, kind: alert.kind, why }, 'alert resolved');
    if (resolved.kind === 'balance_refused') await this.handOverRefused(resolved, trx);
    return true;
  }

  /**
   * The money is back, but a refused operation that ended `failed` stays failed: nothing retries it by itself (a
   * failed `open` waits for a person), so each still failed gets its own `operation_failed`.
   */
  private async handOverRefused(alert: AlertRecord, trx: Knex.Transaction): Promise<void> {
    const ids = Array.isArray(alert.subject.operations) ? alert.subject.operations.map(String) : [];
    for (const op of await this.deps.alertFacts.operations(ids, trx))
      if (op.status === 'failed') await this.open(operationFailedDraft(op, op.error), trx);
  }

  // --- the operation runner's signals ---

  async attemptFailed(op: OperationRecord, outcome: FailedAttempt, trx: Knex.Transaction): Promise<void> {
    const code = outcome.error?.code ?? null;
    const concerns =
      outcome.status === 'failed' ||
      RENEWAL_EVENTS.has(op.event) ||
      code === BALANCE_REFUSED_CODE ||
      code === SPEND_LIMIT_CODE;
    if (!concerns) return;
    await this.guarded(trx, { operationId: op.id }, async (sp) => {
      // A failure a more specific alert follows (a renewal retried hourly, money) is not also `operation_failed`.
      let followed = await this.renewalFailed(op, outcome, sp);
      if (code === BALANCE_REFUSED_CODE || code === SPEND_LIMIT_CODE) {
        followed = true;
        const server = await this.deps.alertFacts.licensingServerOf(op.id, sp);
        if (server)
          await this.open(
            code === BALANCE_REFUSED_CODE ? balanceRefusedDraft(server, op.id) : spendLimitDraft(server),
            sp,
          );
      }
      if (outcome.status === 'failed' && !followed) await this.open(operationFailedDraft(op, outcome.error), sp);
    });
  }

  async attemptSucceeded(op: OperationRecord, trx: Knex.Transaction): Promise<void> {
    if (this.view.fresh && this.settledBy(op).length === 0) return;
    await this.guarded(trx, { operationId: op.id }, async (sp) => {
      await this.view.ensureFresh(sp);
      for (const alert of this.settledBy(op)) await this.resolve(alert, sp, `operation ${op.event} succeeded`);
    });
  }

  /** The open alerts a success of `op` settles: its own failure, and a failing renewal of its service. */
  private settledBy(op: OperationRecord): AlertRecord[] {
    return [
      ...this.view.find('operation_failed', (alert) => alert.subject.operationId === op.id),
      ...(RENEWAL_EVENTS.has(op.event) && op.serviceId !== null
        ? this.view.find('renewal_failing', (alert) => alert.subject.serviceId === op.serviceId)
        : []),
    ];
  }

  /** Opens `renewal_failing` for a renewal of an active service that keeps failing; true when it did. */
  private async renewalFailed(op: OperationRecord, outcome: FailedAttempt, trx: Knex.Transaction): Promise<boolean> {
    if (!RENEWAL_EVENTS.has(op.event) || op.serviceId === null) return false;
    if (!renewalKeepsFailing(outcome.status, op.attempts)) return false;
    const licenseId = op.licenseId ?? (await this.deps.alertFacts.licenseOfService(op.serviceId, trx));
    if (!licenseId) return false;
    const facts = await this.deps.alertFacts.renewalFacts(op.serviceId, licenseId, trx);
    if (facts.serviceStatus !== 'active') return false;
    await this.open(renewalFailingDraft({ licenseId, serviceId: op.serviceId }, outcome.error, facts, this.now()), trx);
    return true;
  }

  // --- the upstream-call observer ---

  /** Told of every licensing-server call: synchronous, never throws, and works in the background only when needed. */
  readonly observeUpstreamCall = (call: UpstreamCall): void => {
    try {
      if (call.outcome === 'error') return;
      const server = call.licensingServer;
      if (call.outcome === 'unreachable') {
        // One lost call is no outage (a 5xx the next call does not see): only calls in a row without an answer are.
        const inARow = (this.unreachableInARow.get(server) ?? 0) + 1;
        this.unreachableInARow.set(server, inARow);
        if (inARow < UNREACHABLE_CALLS_IN_A_ROW) return;
      } else this.unreachableInARow.delete(server);
      if (!this.view.fresh) {
        this.background(`judge:${call.licensingServer}:${call.fn}:${call.outcome}`, () =>
          this.view.reload().then(() => this.judgeCall(call)),
        );
        return;
      }
      this.judgeCall(call);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'alert observer failed');
    }
  };

  private judgeCall(call: UpstreamCall): void {
    const server = call.licensingServer;
    if (call.outcome === 'unreachable') {
      if (this.view.aboutServer('upstream_unreachable', server).length > 0) return;
      this.background(`open:${server}`, () => this.serverUnreachable(server, call.fn));
      return;
    }
    // The server answered (`ok`, or a refusal): it is reachable. A paid call that went through settles the money.
    const settled = [
      ...this.view.aboutServer('upstream_unreachable', server),
      ...(call.outcome === 'ok' && PAID_FUNCTIONS.has(call.fn)
        ? [...this.view.aboutServer('balance_refused', server), ...this.view.aboutServer('spend_limit', server)]
        : []),
    ];
    for (const alert of settled)
      this.background(`resolve:${alert.id}`, () =>
        this.deps.db.transaction(async (trx) => void (await this.resolve(alert, trx, `${server} answered ${call.fn}`))),
      );
  }

  /** The licensing servers whose last call in this process got no answer, but not yet enough in a row to open. */
  suspectServers(): string[] {
    return [...this.unreachableInARow]
      .filter(([, inARow]) => inARow < UNREACHABLE_CALLS_IN_A_ROW)
      .map(([server]) => server);
  }

  /**
   * A licensing server stays unreachable (calls in a row, a whole reconciliation, a failed probe): opens
   * `upstream_unreachable` in a transaction of its own (merged into the open one, if any); true when it opened.
   * Never throws: a fault is logged.
   */
  async serverUnreachable(licensingServer: string, fn: UpstreamFunction): Promise<boolean> {
    try {
      return await this.deps.db.transaction(
        async (trx) => (await this.open(upstreamUnreachableDraft(licensingServer, fn), trx)).opened,
      );
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message, licensingServer }, 'alert book failed');
      return false;
    }
  }

  /** Runs `work` after the caller has returned, once per `key` at a time; failures are logged. */
  private background(key: string, work: () => Promise<unknown>): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    const running: Promise<void> = work()
      .then(() => undefined)
      .catch((err: Error) => this.deps.logger.error({ err: err.message, task: key }, 'alert update failed'))
      .finally(() => {
        this.pending.delete(key);
        this.inFlight.delete(running);
      });
    this.inFlight.add(running);
  }

  /** Resolves once the observer's background work has ended (tests; an orderly stop). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Runs `work` in a savepoint of the operation's transaction: should it fail, only the alert's writes are undone
   * and the operation's outcome is recorded all the same.
   */
  private async guarded(
    trx: Knex.Transaction,
    context: Record<string, unknown>,
    work: (sp: Knex.Transaction) => Promise<void>,
  ): Promise<void> {
    try {
      await trx.transaction(work);
    } catch (err) {
      this.deps.logger.error(
        { ...context, err: (err as Error).message },
        'alert book failed; the operation is unaffected',
      );
    }
  }
}
