/** The API's shapes as the console reads them (CONTRACT.md); only the fields the pages show. */

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
  source?: string;
  createdAt?: string;
}

export interface OperationItem {
  id: string;
  event: string;
  serviceId: string | null;
  status: string;
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
  escalations?: number;
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

export interface SavingsReport {
  from: string;
  to: string;
  currency: string | null;
  orders: { count: number; cost: number | null };
  renewals: { count: number; cost: number | null };
  reuses: { count: number; costAvoided: number | null };
  unpriced: number;
}
