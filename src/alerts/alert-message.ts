import type { AlertKind, AlertSubject } from '../domain/alerts';
import type { AlertNotificationPayload } from '../db/alert-notification-store';

/** What a person should do about each kind of alert: one line each, pointing at the API that helps. */
export const ALERT_ADVICE: Record<AlertKind, string> = {
  renewal_failing:
    'Read the failed renewal operation (GET /v1/operations/{id}) and fix its cause; the scheduler retries the failed renewal hourly (alerts.retryEveryMs) while the alert is open.',
  upstream_unreachable:
    'Check the network, credentials and status of the licensing server (POST /v1/admin/licensing-servers/{key}/check); operations retry on their own (up to lifecycle.maxAttempts; retry any that gave up), and the sweep probes the server hourly (alerts.retryEveryMs) and resolves the alert once it answers.',
  balance_refused:
    'Top up the reseller balance at the licensing server, then retry each listed operation (POST /v1/admin/operations/{id}/retry): nothing retries them on its own. The alert resolves once they all succeed.',
  operation_failed:
    'Read the operation error (GET /v1/operations/{id}), fix the cause, then retry it (POST /v1/admin/operations/{id}/retry).',
  spend_limit:
    'Paid calls reached lifecycle.maxPaidCallsPerDay: look for a runaway; the waiting operations resume on the next UTC day, or raise the limit and retry them (POST /v1/admin/operations/{id}/retry).',
  drift:
    'Compare GET /v1/admin/drift with the licensing server, then correct the license or adopt it (POST /v1/admin/licenses/adopt).',
  pool_low: 'Licenses were ordered while the pool was empty: buy ahead, e.g. yearly, with POST /v1/admin/pool/orders.',
};

/** Subjects carry no secret; should one ever name such a field, a mail still does not show it. */
const SECRET_FIELD = /password|secret|token|activationkey|lickey/i;

/** How the fields of a subject read in a sentence. */
const SUBJECT_WORDS: Record<string, string> = {
  licensingServer: 'licensing server',
  licenseId: 'license',
  serviceId: 'service',
  operationId: 'operation',
  priceList: 'price list',
  operations: 'operations',
};

/** The e-mail of one alert notification: plain text, naming the alert; the payload carries no secret, nor does this. */
export function renderAlertMail(payload: AlertNotificationPayload): { subject: string; text: string } {
  const { event, alert } = payload;
  const subject = `[${alert.severity}] ${alert.kind} ${event}: ${describeSubject(alert.subject, false)}`;
  const lines = [
    `Alert ${alert.kind} ${event} (${alert.severity}).`,
    '',
    `Subject:      ${describeSubject(alert.subject, true)}`,
    `Message:      ${alert.message}`,
    `Opened at:    ${alert.openedAt}`,
    `Escalations:  ${alert.escalations}`,
    ...(alert.resolvedAt ? [`Resolved at:  ${alert.resolvedAt}`] : []),
    `Alert id:     ${alert.id}`,
    '',
    event === 'resolved' ? 'Nothing to do: the cause went away.' : `What to do: ${ALERT_ADVICE[alert.kind]}`,
    '',
    '-- ',
    'panel-license-module: GET /v1/admin/alerts?state=open lists the open alerts.',
  ];
  return { subject: oneLine(subject), text: lines.join('\n') + '\n' };
}

/**
 * `licensing server isp, price list 3541`; with `withLists`, the lists an alert gathers too
 * (`operations: a, b`). Fields in a fixed order, so the same subject always reads the same.
 */
export function describeSubject(subject: AlertSubject, withLists: boolean): string {
  const parts = Object.keys(subject)
    .sort(bySubjectOrder)
    .filter((field) => !SECRET_FIELD.test(field))
    .filter((field) => withLists || !Array.isArray(subject[field]))
    .map((field) => {
      const value = subject[field];
      const words = SUBJECT_WORDS[field] ?? field;
      return Array.isArray(value) ? `${words}: ${value.join(', ') || 'none'}` : `${words} ${String(value)}`;
    });
  return parts.join(', ') || 'the service';
}

function bySubjectOrder(a: string, b: string): number {
  const order = Object.keys(SUBJECT_WORDS);
  const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** A header never spans lines, whatever a message holds. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
