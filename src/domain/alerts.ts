/**
 * Alerts (SPEC.md "Alerts and escalation", CONTRACT.md "Alerts, metrics, reports"): what can go wrong that a person
 * must hear of, how bad it is, and what it is about. Pure: no I/O.
 */
export const ALERT_KINDS = [
  'renewal_failing',
  'upstream_unreachable',
  'balance_refused',
  'operation_failed',
  'spend_limit',
  'drift',
  'pool_low',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type AlertState = 'open' | 'resolved';

/** What an alert is about: `{licensingServer}`, `{licenseId, serviceId}`, `{operationId}`, `{licensingServer, priceList}` … */
export type AlertSubject = Record<string, string | number | null | string[]>;

/** The alert as the API shows it and as notifications carry it. */
export interface AlertView {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  subject: AlertSubject;
  message: string;
  openedAt: string;
  escalations: number;
  notifiedAt: string | null;
  resolvedAt: string | null;
}

/** The notification events of an alert's life. */
export type AlertEvent = 'opened' | 'escalated' | 'resolved';

/** The channels a notification goes through. */
export type AlertChannel = 'webhook' | 'email';

/**
 * The canonical key of a subject, for "one open alert per kind and subject": its identifying fields in a fixed order
 * (lists such as `operations` are what the alert gathers, not what it is about, and are left out).
 */
export function subjectKey(subject: AlertSubject): string {
  return Object.keys(subject)
    .filter((field) => !Array.isArray(subject[field]))
    .sort()
    .map((field) => `${field}=${String(subject[field])}`)
    .join('&');
}
