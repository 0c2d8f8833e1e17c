import assert from 'node:assert/strict';
import { ALERT_ADVICE, describeSubject, renderAlertMail } from '../../src/alerts/alert-message';
import { safeReason } from '../../src/alerts/notification-channel';
import { ALERT_KINDS, type AlertView } from '../../src/domain/alerts';

const alert: AlertView = {
  id: '7c0e2f8a-5b1d-4f57-9a39-0d7f1c2b3e4a',
  kind: 'renewal_failing',
  severity: 'warning',
  subject: { serviceId: 'vps-42', licenseId: 'b2c7…' },
  message: 'The renewal of the license of service vps-42 keeps failing',
  openedAt: '2026-12-02T10:00:00.000Z',
  escalations: 2,
  notifiedAt: '2026-12-02T22:00:00.000Z',
  resolvedAt: null,
};

describe('alert e-mail rendering', () => {
  it('the subject reads [severity] kind event: subject, lists left out', () => {
    const mail = renderAlertMail({
      event: 'opened',
      alert: {
        ...alert,
        kind: 'balance_refused',
        severity: 'critical',
        subject: { licensingServer: 'isp', operations: ['a', 'b'] },
      },
    });
    assert.equal(mail.subject, '[critical] balance_refused opened: licensing server isp');
    assert.ok(mail.text.includes('Subject:      licensing server isp, operations: a, b'), mail.text);
  });

  it('the body names the alert: kind, severity, subject, message, opened at, escalations, id, what to do', () => {
    const { subject, text } = renderAlertMail({ event: 'escalated', alert });
    assert.equal(subject, '[warning] renewal_failing escalated: license b2c7…, service vps-42');
    for (const line of [
      'Alert renewal_failing escalated (warning).',
      'Subject:      license b2c7…, service vps-42',
      `Message:      ${alert.message}`,
      'Opened at:    2026-12-02T10:00:00.000Z',
      'Escalations:  2',
      `Alert id:     ${alert.id}`,
      `What to do: ${ALERT_ADVICE.renewal_failing}`,
    ])
      assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
  });

  it('a resolved alert says when, and that nothing is left to do', () => {
    const { subject, text } = renderAlertMail({
      event: 'resolved',
      alert: { ...alert, resolvedAt: '2026-12-03T08:00:00.000Z' },
    });
    assert.match(subject, /^\[warning\] renewal_failing resolved: /);
    assert.ok(text.includes('Resolved at:  2026-12-03T08:00:00.000Z'));
    assert.ok(text.includes('Nothing to do'));
    assert.equal(text.includes('What to do'), false);
  });

  it('the advice says what the code does: nothing retries a refused open, the scheduler retries a failed renewal', () => {
    assert.match(
      ALERT_ADVICE.balance_refused,
      /then retry each listed operation \(POST \/v1\/admin\/operations\/\{id\}\/retry\)/,
    );
    assert.doesNotMatch(ALERT_ADVICE.balance_refused, /are retried/);
    assert.match(ALERT_ADVICE.renewal_failing, /scheduler retries the failed renewal hourly/);
    assert.doesNotMatch(ALERT_ADVICE.renewal_failing, /until the license lapses/);
    assert.match(ALERT_ADVICE.upstream_unreachable, /operations retry on their own.*probes the server hourly/);
    assert.doesNotMatch(ALERT_ADVICE.upstream_unreachable, /calls are retried hourly/);
  });

  it('every kind has one line of advice', () => {
    for (const kind of ALERT_KINDS) {
      assert.ok(ALERT_ADVICE[kind].length > 20, kind);
      assert.equal(ALERT_ADVICE[kind].includes('\n'), false, kind);
    }
  });

  it('never shows a secret-looking subject field, and keeps the subject header on one line', () => {
    const planted = {
      ...alert,
      subject: {
        licensingServer: 'isp',
        activationKey: 'B3A5B8DD1BF708A2',
        password: 'hunter22',
        apiToken: 'tok-123456',
      },
      message: 'two\r\nlines',
    };
    const { subject, text } = renderAlertMail({ event: 'opened', alert: planted });
    for (const secret of ['B3A5B8DD1BF708A2', 'hunter22', 'tok-123456'])
      assert.equal(subject.includes(secret) || text.includes(secret), false, secret);
    assert.equal(/[\r\n]/.test(subject), false);
    assert.equal(describeSubject({}, true), 'the service');
  });
});

describe('delivery failure reasons', () => {
  it('keep the code and cause, and scrub every secret', () => {
    const err = Object.assign(new Error('Invalid login: 535 auth failed for s3cr3t-pass'), { code: 'EAUTH' });
    assert.equal(safeReason(err, ['s3cr3t-pass']), 'EAUTH: Invalid login: 535 auth failed for [redacted]');
    const nested = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    assert.equal(safeReason(nested, []), 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)');
    assert.ok(safeReason(new Error('x'.repeat(1000)), []).length <= 200);
  });
});
