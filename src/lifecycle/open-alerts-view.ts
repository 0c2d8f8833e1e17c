import type { Knex } from 'knex';
import type { AlertRecord, AlertStore } from '../db/alert-store';
import type { AlertKind } from '../domain/alerts';

/**
 * This process's view of the open alerts, so the hot paths (every upstream call, every successful operation) touch
 * the database only when an alert they could resolve may be open. Reloaded when older than `ttlMs`; an alert opened
 * by another process meanwhile is missed at most that long, and the sweep resolves what a missed success left open.
 */
export class OpenAlertsView {
  private alerts: AlertRecord[] = [];
  private loadedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Pick<AlertStore, 'listOpen'>,
    private readonly ttlMs: number,
  ) {}

  get fresh(): boolean {
    return performance.now() - this.loadedAt < this.ttlMs;
  }

  /** Reloads when stale; inside a transaction give it `trx` (on SQLite the only connection is the transaction's). */
  async ensureFresh(trx?: Knex): Promise<void> {
    if (!this.fresh) await this.reload(trx);
  }

  async reload(trx?: Knex): Promise<AlertRecord[]> {
    const started = performance.now();
    const alerts = await this.store.listOpen(trx);
    this.alerts = alerts;
    this.loadedAt = started;
    return alerts;
  }

  find(kind: AlertKind, matches: (alert: AlertRecord) => boolean): AlertRecord[] {
    return this.alerts.filter((alert) => alert.kind === kind && matches(alert));
  }

  /** Open alerts of `kind` about a licensing server. */
  aboutServer(kind: AlertKind, licensingServer: string): AlertRecord[] {
    return this.find(kind, (alert) => alert.subject.licensingServer === licensingServer);
  }

  remember(alert: AlertRecord): void {
    this.alerts = [...this.alerts.filter((a) => a.id !== alert.id), alert];
  }

  forget(id: string): void {
    this.alerts = this.alerts.filter((a) => a.id !== id);
  }
}
