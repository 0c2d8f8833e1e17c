import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DatabaseGauges, MetricsStore } from '../db/metrics-store';
import { poolEligibility } from '../domain/pool-eligibility';
import { SharedRefresh } from './shared-refresh';

/** The job states of the operation queue that are shown. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
type QueueState = (typeof QUEUE_STATES)[number];

export interface StateGaugeSources {
  store: MetricsStore;
  /** The operation queue (BullMQ), whose jobs are counted by state. */
  operationQueue: { getJobCounts(...states: QueueState[]): Promise<Record<string, number>> };
  /**
   * `lifecycle.poolMarginHours`: eligibility is judged as the pool itself judges it; `metrics.cacheMs`: how long one
   * read serves the scrapes that follow it.
   */
  config: { lifecycle: Pick<Config['lifecycle'], 'poolMarginHours'>; metrics: Pick<Config['metrics'], 'cacheMs'> };
  logger: Logger;
}

interface StateSnapshot {
  database: DatabaseGauges | null;
  queue: Record<string, number> | null;
}

/**
 * The state of the whole deployment (pool, open alerts, operations, money, queue), read from the database and Redis
 * when scraped. One read serves every gauge of a scrape and every scrape for `cacheMs`; when a read fails its gauges
 * are left empty for that time and `plm_state_read_failures_total` counts it.
 */
export class StateGauges {
  private readonly snapshot: SharedRefresh<StateSnapshot>;
  private readonly readFailures: Counter<'source'>;

  constructor(
    registry: Registry,
    private readonly sources: StateGaugeSources,
  ) {
    this.snapshot = new SharedRefresh(() => this.read(), sources.config.metrics.cacheMs);
    const registers = [registry];
    this.readFailures = new Counter({
      name: 'plm_state_read_failures_total',
      help: 'Reads of the database or the queue behind the state gauges that failed',
      labelNames: ['source'],
      registers,
    });
    const fill = <L extends string>(
      gauge: Gauge<L>,
      rows: (snapshot: StateSnapshot) => Array<[Partial<Record<L, string>>, number]>,
    ) => {
      // Reset first: a price list that left the pool, or an alert kind with none open, must drop out.
      gauge.reset();
      return this.snapshot.get().then((snapshot) => {
        for (const [labels, value] of rows(snapshot)) gauge.set(labels, value);
      });
    };
    const serverLabels = ['licensing_server', 'price_list'] as const;
    new Gauge({
      name: 'plm_pool_licenses',
      help: 'Paid, unused licenses held in the pool',
      labelNames: serverLabels,
      registers,
      collect() {
        return fill(this, (s) => (s.database?.pool ?? []).map((r) => [labelsOf(r), r.pooled]));
      },
    });
    new Gauge({
      name: 'plm_pool_eligible_licenses',
      help: 'Pooled licenses that could be given to a new service now (paid long enough, IP and key may change)',
      labelNames: serverLabels,
      registers,
      collect() {
        return fill(this, (s) => (s.database?.pool ?? []).map((r) => [labelsOf(r), r.eligible]));
      },
    });
    new Gauge({
      name: 'plm_alerts_open',
      help: 'Open alerts by kind and severity',
      labelNames: ['kind', 'severity'],
      registers,
      collect() {
        return fill(this, (s) =>
          (s.database?.openAlerts ?? []).map((r) => [{ kind: r.kind, severity: r.severity }, r.count]),
        );
      },
    });
    new Gauge({
      name: 'plm_operations',
      help: 'Operations in the database by status',
      labelNames: ['status'],
      registers,
      collect() {
        return fill(this, (s) => (s.database?.operations ?? []).map((r) => [{ status: r.status }, r.count]));
      },
    });
    new Gauge({
      name: 'plm_money_spent',
      help: "Money spent on priced orders and renewals, in the price list's currency (unpriced ones add nothing)",
      labelNames: [...serverLabels, 'currency'],
      registers,
      collect() {
        return fill(this, (s) =>
          (s.database?.spent ?? []).map((r) => [{ ...labelsOf(r), currency: r.currency }, r.amount]),
        );
      },
    });
    new Gauge({
      name: 'plm_queue_jobs',
      help: 'Jobs of the operation queue by state',
      labelNames: ['queue', 'state'],
      registers,
      collect() {
        return fill(this, ({ queue }) =>
          queue ? QUEUE_STATES.map((state) => [{ queue: 'operations', state }, queue[state] ?? 0]) : [],
        );
      },
    });
  }

  private async read(): Promise<StateSnapshot> {
    const { store, operationQueue, config, logger } = this.sources;
    const [database, queue] = await Promise.allSettled([
      store.readGauges(poolEligibility(new Date(), config.lifecycle.poolMarginHours)),
      operationQueue.getJobCounts(...QUEUE_STATES),
    ]);
    const failed = (source: 'database' | 'queue', reason: unknown) => {
      this.readFailures.inc({ source });
      logger.warn({ source, err: (reason as Error)?.message }, 'could not read the state gauges of /metrics');
      return null;
    };
    return {
      database: database.status === 'fulfilled' ? database.value : failed('database', database.reason),
      queue: queue.status === 'fulfilled' ? queue.value : failed('queue', queue.reason),
    };
  }
}

function labelsOf(row: { licensingServer: string; priceList: string }) {
  return { licensing_server: row.licensingServer, price_list: row.priceList };
}
