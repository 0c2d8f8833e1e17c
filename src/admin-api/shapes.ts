/**
 * The admin API's answers as its clients (the console, the `plm` CLI) read them: CONTRACT.md's shapes, in one place
 * so the two clients cannot drift apart.
 */

export interface LicenseItem {
  id: string;
  upstreamId: string | null;
  licensingServer: string;
  priceList: string;
  ip: string | null;
  name: string | null;
  status: string;
  paidUntil: string | null;
  activationKey: string | null;
  serviceId: string | null;
  pooled: boolean;
  state?: string;
  period: number | string | null;
  source: string;
  createdAt: string;
}

export interface OperationItem {
  id: string;
  event: string;
  serviceId: string | null;
  status: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed';
  attempts: number;
  createdAt: string;
  updatedAt: string;
  result: { licenseId: string | null; upstreamId: string | null; source: string; paidUntil: string | null } | null;
  error: { code: string; message: string } | null;
  notBefore?: string | null;
}

export interface PoolItem {
  licensingServer: string;
  priceList: string;
  pooled: number;
  eligible: number;
  soonestExpiry: string | null;
}

export interface AlertItem {
  id: string;
  kind: string;
  severity: string;
  subject: Record<string, unknown>;
  message: string;
  openedAt: string;
  escalations: number;
  notifiedAt: string | null;
  resolvedAt: string | null;
}

export interface AuditItem {
  id: string;
  at: string;
  actor: string;
  action: string;
  licenseId: string | null;
  serviceId: string | null;
  operationId: string | null;
  details: unknown;
}

export interface DriftItem {
  id: string;
  licensingServer: string;
  kind: string;
  upstreamId: string | null;
  licenseId: string | null;
  serviceId: string | null;
  field: string | null;
  local: unknown;
  upstream: unknown;
  detectedAt: string;
}

export interface LicensingServerItem {
  key: string;
  module: string;
  url: string;
  username: string;
  settings: Record<string, unknown>;
  prices?: Record<string, unknown> | null;
  managedBy: string;
}

export interface EnumerationItem {
  key: string;
  name: string;
  values: Array<{ key: string; name: string; internalName: string; periods?: Array<number | string> }>;
  managedBy: string;
}

export interface TariffPlanItem {
  key: string;
  name: string;
  productType: string;
  licensingServer: string;
  enumeration: string;
  defaultValue: string;
  managedBy: string;
}

export interface PeriodComparisonItem {
  id: string;
  licensingServer: string;
  sourcePeriod: number | string;
  targetPeriod: number | string;
  tariffPlan: string | null;
  productType: string | null;
  managedBy: string;
}

export type Money = number | null;

/** `GET /v1/admin/reports/savings`: a total is null, never 0, when no event of it was priced. */
export interface SavingsReport {
  from: string;
  to: string;
  currency: string | null;
  orders: { count: number; cost: Money };
  renewals: { count: number; cost: Money };
  reuses: { count: number; costAvoided: Money };
  idle: { licenses: number; paidDays: number; value: Money };
  unpriced: number;
  byPriceList: Array<{
    licensingServer: string;
    priceList: string;
    orders: number;
    reuses: number;
    renewals: number;
    cost: Money;
    costAvoided: Money;
  }>;
  byTariffPlan: Array<{ tariffPlan: string; services: number; cost: Money }>;
}

/** `GET /v1/admin/drift`. */
export interface DriftReport {
  items: DriftItem[];
  checkedAt: Record<string, string>;
}

/** The answer of every write that queues one operation. */
export interface Queued {
  operationId: string;
  status: string;
}
