import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { AlertNotificationStore } from '../db/alert-notification-store';
import type { AuditStore } from '../db/audit-store';
import type { CallbackStore } from '../db/callback-store';
import type { DriftStore } from '../db/drift-store';
import type { EnumerationStore } from '../db/enumeration-store';
import type { HookEventStore } from '../db/hook-event-store';
import type { LicenseStore } from '../db/license-store';
import type { LicensingServerStore } from '../db/licensing-server-store';
import type { OperationStore } from '../db/operation-store';
import type { PeriodComparisonStore } from '../db/period-comparison-store';
import type { ServiceStore } from '../db/service-store';
import type { SpendCounterStore } from '../db/spend-counter-store';
import type { TariffPlanStore } from '../db/tariff-plan-store';
import type { UpstreamActionStore } from '../db/upstream-action-store';
import type { AlertSignals } from './alert-signals';
import type { ModuleProvider } from './module-provider';

/** Everything the lifecycle reads and writes, built once at start-up and passed down. */
export interface LifecycleDeps {
  db: Knex;
  services: ServiceStore;
  licenses: LicenseStore;
  operations: OperationStore;
  /** Callback deliveries of finished operations (claimed, recorded, pruned). */
  callbacks: CallbackStore;
  hookEvents: HookEventStore;
  upstreamActions: UpstreamActionStore;
  /** Paid calls per licensing server and UTC day, against `lifecycle.maxPaidCallsPerDay`. */
  spendCounters: SpendCounterStore;
  audit: AuditStore;
  /** Reconciliation runs and the drift they found (CONTRACT.md "Reconciliation and adoption"). */
  drift: DriftStore;
  /** Notifications of alerts, until each channel has taken them (enqueued with the alert, pruned once delivered). */
  alertNotifications: AlertNotificationStore;
  /** Catalog reads (cached, see `catalog-cache.ts`); a licensing server's `prices` price each paid move. */
  licensingServers: Pick<LicensingServerStore, 'get'>;
  tariffPlans: Pick<TariffPlanStore, 'get'>;
  enumerations: Pick<EnumerationStore, 'get'>;
  periodComparisons: Pick<PeriodComparisonStore, 'list'>;
  modules: ModuleProvider;
  /** The alerts told of each attempt's outcome, in its transaction (`alert-book.ts`). */
  alertSignals: AlertSignals;
  settings: Config['lifecycle'] & Pick<Config['worker'], 'leaseMs' | 'reconcileDelayMs'>;
  logger: Logger;
  now: () => Date;
}
