import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pino from 'pino';
import { EmailChannel } from '../../src/alerts/email-channel';
import type { NotificationChannel } from '../../src/alerts/notification-channel';
import { WebhookChannel } from '../../src/alerts/webhook-channel';
import { KnexAlertNotificationStore } from '../../src/db/alert-notification-store';
import type { AlertChannel, AlertEvent, AlertView } from '../../src/domain/alerts';
import { verifySignature } from '../../src/platform/signature';
import { AlertDispatcher } from '../../src/queue/alert-dispatcher';
import { configSchema } from '../../src/config/schema';
import { recordAlertWithNotifications, startWebhookReceiver } from '../helpers/alert-notifications';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startTestService } from '../helpers/service';
import { freePort, startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peer';

const WEBHOOK_SECRET = 'alert-webhook-secret-0123456789';
const SMTP_USER = 'alerts';

describe('alert notifications: delivered by webhook and e-mail, retried, once per row', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let store: KnexAlertNotificationStore;
  let clock: Date;
  const dispatchers: AlertDispatcher[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    store = new KnexAlertNotificationStore(database.db);
    clock = new Date('2026-12-02T10:00:00.000Z');
  });
  afterEach(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
    for (const close of closers.splice(0).reverse()) await close();
    await database.destroy();
  });

  function dispatcher(channels: NotificationChannel[]): AlertDispatcher {
    const made = new AlertDispatcher({
      store,
      channels,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      timeoutMs: 3000,
      now: () => clock,
    });
    dispatchers.push(made);
    return made;
  }

  function emailChannel(port: number, password: string) {
    return new EmailChannel({
      url: `smtp://${SMTP_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
      from: 'license-module@example.net',
      to: ['ops@example.net', 'oncall@example.net'],
      timeoutMs: 3000,
    });
  }

  async function smtpPeer(options: Parameters<typeof startSmtpPeer>[0]): Promise<SmtpPeer> {
    const peer = await startSmtpPeer(options);
    closers.push(() => peer.close());
    return peer;
  }

  function balanceAlert(overrides: Partial<AlertView> = {}): AlertView {
    return {
      id: crypto.randomUUID(),
      kind: 'balance_refused',
      severity: 'critical',
      subject: { licensingServer: 'isp', operations: ['op-1', 'op-2'] },
      message: 'The licensing server isp refused a paid call: the reseller balance is too low',
      openedAt: clock.toISOString(),
      escalations: 0,
      notifiedAt: null,
      resolvedAt: null,
      ...overrides,
    };
  }

  const recordAlert = (alert: AlertView, event: AlertEvent, channels: AlertChannel[]) =>
    recordAlertWithNotifications(database.db, store, { alert, event, channels, now: clock });

  const notifiedAt = async (alertId: string) =>
    ((await database.db('alerts').where({ id: alertId }).first()) as { notified_at: string | null }).notified_at;

  it('e-mail reaches a real SMTP peer, naming the alert, without the SMTP password', async () => {
    const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
    const peer = await smtpPeer({ auth: { user: SMTP_USER, pass: password } });
    const alert = balanceAlert();
    await recordAlert(alert, 'opened', ['email']);

    assert.equal(await dispatcher([emailChannel(peer.port, password)]).deliverDue(), 1);

    assert.equal(peer.mails.length, 1);
    const mail = peer.mails[0]!;
    assert.equal(mail.user, SMTP_USER, 'authenticated with the URL credentials');
    assert.equal(mail.from, 'license-module@example.net');
    assert.deepEqual(mail.to, ['ops@example.net', 'oncall@example.net']);
    assert.equal(mail.subject, '[critical] balance_refused opened: licensing server isp');
    for (const expected of [
      'Alert balance_refused opened (critical).',
      'licensing server isp, operations: op-1, op-2',
      alert.message,
      `Opened at:    ${alert.openedAt}`,
      'Escalations:  0',
      alert.id,
      'Top up the reseller balance',
    ])
      assert.ok(mail.text.includes(expected), `the body names ${expected}:\n${mail.text}`);
    assert.equal(mail.raw.includes(password), false, 'no SMTP password in the mail');

    const [row] = await store.listForAlert(alert.id);
    assert.equal(row!.state, 'delivered');
    assert.equal(row!.attempts, 1);
    assert.equal(row!.deliveredAt, clock.toISOString());
    assert.equal(await notifiedAt(alert.id), clock.toISOString(), 'alerts.notified_at is set on delivery');
  });

  it('with the SMTP peer down the mail stays pending, the webhook still goes, and the mail arrives once it is up', async () => {
    const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
    const port = await freePort();
    const receiver = await startWebhookReceiver();
    closers.push(receiver.close);
    const webhook = new WebhookChannel({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 3000 });
    const alerts = dispatcher([emailChannel(port, password), webhook]);
    const alert = balanceAlert();
    await recordAlert(alert, 'opened', ['email', 'webhook']);

    assert.equal(await alerts.deliverDue(), 1, 'only the webhook went');
    assert.equal(receiver.received.length, 1, 'the webhook was not held up by the mail');
    let email = (await store.listForAlert(alert.id)).find((n) => n.channel === 'email')!;
    assert.equal(email.state, 'pending');
    assert.equal(email.attempts, 1);
    assert.match(email.lastError ?? '', /ECONNREFUSED|ECONNECTION|ESOCKET/);
    assert.equal(email.lastError!.includes(password), false, 'no password in last_error');
    const firstRetryAt = new Date(email.nextAt);
    assert.ok(firstRetryAt.getTime() > clock.getTime(), 'retried later, with back-off');

    // Not due yet: nothing is tried again at the same moment.
    await alerts.deliverDue();
    assert.equal((await store.listForAlert(alert.id)).find((n) => n.channel === 'email')!.attempts, 1);

    // Still down at the first retry: the back-off grows.
    clock = firstRetryAt;
    await alerts.deliverDue();
    email = (await store.listForAlert(alert.id)).find((n) => n.channel === 'email')!;
    assert.equal(email.attempts, 2);
    assert.ok(new Date(email.nextAt).getTime() > clock.getTime());

    const peer = await smtpPeer({ port, auth: { user: SMTP_USER, pass: password } });
    clock = new Date(email.nextAt);
    assert.equal(await alerts.deliverDue(), 1);
    assert.equal(peer.mails.length, 1);
    assert.equal(peer.mails[0]!.subject, '[critical] balance_refused opened: licensing server isp');
    email = (await store.listForAlert(alert.id)).find((n) => n.channel === 'email')!;
    assert.equal(email.state, 'delivered');
    assert.equal(email.attempts, 3);
    assert.equal(await notifiedAt(alert.id), clock.toISOString());
    assert.equal(receiver.received.length, 1, 'the webhook was delivered once');
  });

  it('the webhook carries {event, alert} signed like callbacks, and a 500 is retried', async () => {
    const receiver = await startWebhookReceiver();
    closers.push(receiver.close);
    receiver.statuses.push(500);
    const alerts = dispatcher([new WebhookChannel({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 3000 })]);
    const alert = balanceAlert({ escalations: 1 });
    await recordAlert(alert, 'escalated', ['webhook']);

    assert.equal(await alerts.deliverDue(), 0);
    let [row] = await store.listForAlert(alert.id);
    assert.equal(row!.state, 'pending');
    assert.equal(row!.attempts, 1);
    assert.equal(row!.lastError, 'answered 500');
    assert.equal(await notifiedAt(alert.id), null, 'not notified while undelivered');

    clock = new Date(row!.nextAt);
    assert.equal(await alerts.deliverDue(), 1);
    [row] = await store.listForAlert(alert.id);
    assert.equal(row!.state, 'delivered');
    assert.equal(row!.attempts, 2);
    assert.equal(await notifiedAt(alert.id), clock.toISOString());

    assert.equal(receiver.received.length, 2);
    for (const delivery of receiver.received) {
      assert.deepEqual(verifySignature(WEBHOOK_SECRET, delivery.signature, delivery.rawBody, 300), { ok: true });
      assert.equal(delivery.notificationId, row!.id);
      assert.deepEqual(JSON.parse(delivery.rawBody.toString('utf8')), { event: 'escalated', alert });
    }
    const forged = verifySignature(
      'another-secret-0123456789',
      receiver.received[0]!.signature,
      receiver.received[0]!.rawBody,
      300,
    );
    assert.equal(forged.ok, false, 'the signature depends on the secret');
  });

  it('two dispatchers (as two workers) never deliver one notification twice', async () => {
    const receiver = await startWebhookReceiver();
    closers.push(receiver.close);
    // Every answer takes a while, so that without claims both dispatchers would be sending the same rows.
    receiver.setDelay(150);
    const alertIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const alert = balanceAlert({ subject: { licensingServer: `isp-${i}` } });
      alertIds.push(alert.id);
      await recordAlert(alert, 'opened', ['webhook']);
    }
    const channel = () => new WebhookChannel({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 3000 });
    const first = dispatcher([channel()]);
    const second = dispatcher([channel()]);
    const sent = await Promise.all([first.deliverDue(), second.deliverDue(), first.deliverDue(), second.deliverDue()]);

    assert.equal(
      sent.reduce((a, b) => a + b),
      6,
    );
    const perNotification = new Map<string, number>();
    for (const { notificationId } of receiver.received)
      perNotification.set(notificationId!, (perNotification.get(notificationId!) ?? 0) + 1);
    assert.equal(perNotification.size, 6);
    assert.deepEqual([...new Set(perNotification.values())], [1], 'each notification was sent once');
    for (const alertId of alertIds) {
      const [row] = await store.listForAlert(alertId);
      assert.equal(row!.state, 'delivered');
      assert.equal(row!.attempts, 1);
    }
  });

  it('prunes delivered notifications past the retention, never pending ones', async () => {
    const receiver = await startWebhookReceiver();
    closers.push(receiver.close);
    const delivered = balanceAlert();
    const pending = balanceAlert({ subject: { licensingServer: 'other' } });
    await recordAlert(delivered, 'opened', ['webhook']);
    await dispatcher([new WebhookChannel({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 3000 })]).deliverDue();
    await recordAlert(pending, 'opened', ['email']);

    assert.equal(await store.pruneDeliveredBefore(clock, 100), 0, 'delivered just now: kept');
    assert.equal(await store.pruneDeliveredBefore(new Date(clock.getTime() + 1), 100), 1);
    assert.deepEqual(await store.listForAlert(delivered.id), []);
    assert.equal((await store.listForAlert(pending.id)).length, 1, 'a pending notification is never pruned');
  });
});

describe('alert notifications in the running service', function () {
  this.timeout(30_000);

  it('the workers deliver a recorded notification by e-mail, and stop with the service', async () => {
    const peer = await startSmtpPeer();
    const service = await startTestService({
      alerts: configSchema.shape.alerts.parse({
        email: { url: `smtp://127.0.0.1:${peer.port}`, from: 'lm@example.net', to: ['ops@example.net'] },
        deliveryTimeoutMs: 3000,
      }),
    });
    try {
      const alert: AlertView = {
        id: crypto.randomUUID(),
        kind: 'upstream_unreachable',
        severity: 'warning',
        subject: { licensingServer: 'isp' },
        message: 'The licensing server isp does not answer',
        openedAt: new Date().toISOString(),
        escalations: 0,
        notifiedAt: null,
        resolvedAt: null,
      };
      await recordAlertWithNotifications(service.db, service.stores.alertNotifications, {
        alert,
        event: 'opened',
        channels: ['email'],
        now: new Date(),
      });
      // The dispatcher's own loop (no nudge from here) takes it within its interval.
      const mail = await peer.nextMail(0);
      assert.equal(mail.subject, '[warning] upstream_unreachable opened: licensing server isp');
    } finally {
      await service.close();
      await peer.close();
    }
  });
});
