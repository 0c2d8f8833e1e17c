import type { Knex } from 'knex';
import type { SecretBox } from '../security/secret-box';
import { KnexAlertFacts } from './alert-facts';
import { KnexAlertNotificationStore } from './alert-notification-store';
import { KnexAlertStore } from './alert-store';
import { KnexAuditStore } from './audit-store';
import { KnexCallbackStore } from './callback-store';
import { KnexConsoleSessionStore } from './console-session-store';
import { KnexDriftStore } from './drift-store';
import { KnexEnumerationStore } from './enumeration-store';
import { KnexHookEventStore } from './hook-event-store';
import { KnexLicenseCostStore } from './license-cost-store';
import { KnexLicenseStore } from './license-store';
import { KnexLicensingServerStore } from './licensing-server-store';
import { KnexMetricsStore } from './metrics-store';
import { KnexOperationStore } from './operation-store';
import { KnexPeriodComparisonStore } from './period-comparison-store';
import { KnexServiceStore } from './service-store';
import { KnexSpendCounterStore } from './spend-counter-store';
import { KnexTariffPlanStore } from './tariff-plan-store';
import { KnexUpstreamActionStore } from './upstream-action-store';

/** One store per aggregate, all on the same database. */
export function createStores(db: Knex, secretBox: SecretBox) {
  const audit = new KnexAuditStore(db);
  const alertNotifications = new KnexAlertNotificationStore(db);
  return {
    licensingServers: new KnexLicensingServerStore(db),
    enumerations: new KnexEnumerationStore(db),
    tariffPlans: new KnexTariffPlanStore(db),
    periodComparisons: new KnexPeriodComparisonStore(db),
    services: new KnexServiceStore(db),
    licenses: new KnexLicenseStore(db, secretBox, audit),
    operations: new KnexOperationStore(db),
    callbacks: new KnexCallbackStore(db),
    hookEvents: new KnexHookEventStore(db),
    upstreamActions: new KnexUpstreamActionStore(db),
    spendCounters: new KnexSpendCounterStore(db),
    drift: new KnexDriftStore(db),
    /** Orders, renewals and pool reuses with their prices (written by the license moves; the savings report). */
    licenseCosts: new KnexLicenseCostStore(db),
    alertNotifications,
    /** Alerts, each opening, escalation and resolution with its notifications. */
    alerts: new KnexAlertStore(db, alertNotifications),
    /** What the alerts judge by (services, licenses, operations, the catalog). */
    alertFacts: new KnexAlertFacts(db),
    metrics: new KnexMetricsStore(db),
    /** Signed-in console sessions (hashes only). */
    consoleSessions: new KnexConsoleSessionStore(db),
    audit,
  };
}

export type Stores = ReturnType<typeof createStores>;
