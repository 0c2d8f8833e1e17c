import type { Knex } from 'knex';
import type { SecretBox } from '../security/secret-box';
import { KnexAlertNotificationStore } from './alert-notification-store';
import { KnexAuditStore } from './audit-store';
import { KnexCallbackStore } from './callback-store';
import { KnexConsoleSessionStore } from './console-session-store';
import { KnexDriftStore } from './drift-store';
import { KnexEnumerationStore } from './enumeration-store';
import { KnexHookEventStore } from './hook-event-store';
import { KnexLicenseStore } from './license-store';
import { KnexLicensingServerStore } from './licensing-server-store';
import { KnexOperationStore } from './operation-store';
import { KnexPeriodComparisonStore } from './period-comparison-store';
import { KnexServiceStore } from './service-store';
import { KnexSpendCounterStore } from './spend-counter-store';
import { KnexTariffPlanStore } from './tariff-plan-store';
import { KnexUpstreamActionStore } from './upstream-action-store';

/** One store per aggregate, all on the same database. */
export function createStores(db: Knex, secretBox: SecretBox) {
  const audit = new KnexAuditStore(db);
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
    alertNotifications: new KnexAlertNotificationStore(db),
    consoleSessions: new KnexConsoleSessionStore(db),
    audit,
  };
}

export type Stores = ReturnType<typeof createStores>;
