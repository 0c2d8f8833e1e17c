import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pino from 'pino';
import { EmailChannel } from '../../src/alerts/email-channel';
import { KnexAlertNotificationStore } from '../../src/db/alert-notification-store';
import type { AlertView } from '../../src/domain/alerts';
import { AlertDispatcher } from '../../src/queue/alert-dispatcher';
import { recordAlertWithNotifications } from '../helpers/alert-notifications';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { freePort, startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peer';

const SMTP_USER = 'alerts';

/** The notices of one alert reach a channel in the order they were written, whatever the back-off of each. */
describe('alert notifications: in order per alert and channel', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let store: KnexAlertNotificationStore;
  let clock: Date;
  let dispatcher: AlertDispatcher;
  let runningPeer: SmtpPeer | null;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = new KnexAlertNotificationStore(database.db);
    clock = new Date('2026-12-02T10:00:00.000Z');
    runningPeer = null;
  });
  afterEach(async () => {
    await dispatcher.stop();
    await runningPeer?.close();
    await database.destroy();
  });

  function balanceAlert(licensingServer = 'isp'): AlertView {
    return {
      id: crypto.randomUUID(),
      kind: 'balance_refused',
      severity: 'critical',
      subject: { licensingServer, operations: ['op-1'] },
      message: 'The licensing server isp refused a paid call: the reseller balance is too low',
      openedAt: clock.toISOString(),
      escalations: 0,
      notifiedAt: null,
      resolvedAt: null,
    };
  }

  async function smtpPeer(options: Parameters<typeof startSmtpPeer>[0]): Promise<SmtpPeer> {
    runningPeer = await startSmtpPeer(options);
    return runningPeer;
  }

  function emailDispatcher(port: number, password: string): AlertDispatcher {
    dispatcher = new AlertDispatcher({
      store,
      channels: [
        new EmailChannel({
          url: `smtp://${SMTP_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
          from: 'license-module@example.net',
          to: ['ops@example.net'],
          timeoutMs: 3000,
        }),
      ],
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      timeoutMs: 3000,
      now: () => clock,
    });
    return dispatcher;
  }

  const recordAlert = (alert: AlertView) =>
    recordAlertWithNotifications(database.db, store, { alert, event: 'opened', channels: ['email'], now: clock });

  it('a backed-off `opened` is never overtaken by the `resolved` that followed it: they arrive in order', async () => {
    const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
    const port = await freePort();
    const alerts = emailDispatcher(port, password);
    const alert = balanceAlert();
    await recordAlert(alert);
    assert.equal(await alerts.deliverDue(), 0, 'the SMTP peer is down');
    const opened = (await store.listForAlert(alert.id))[0]!;
    assert.equal(opened.attempts, 1);

    // The peer is back, and the alert resolves while the `opened` notice still waits out its back-off.
    const peer = await smtpPeer({ port, auth: { user: SMTP_USER, pass: password } });
    clock = new Date(clock.getTime() + 1000);
    assert.ok(clock < new Date(opened.nextAt), 'the opened notice is not due yet');
    const resolved = { ...alert, resolvedAt: clock.toISOString() };
    await database.db.transaction((trx) => store.enqueue(resolved, 'resolved', ['email'], clock, trx));
    assert.equal(await alerts.deliverDue(), 0, 'the resolved notice waits for the older one');
    assert.equal(peer.mails.length, 0);

    clock = new Date(opened.nextAt);
    assert.equal(await alerts.deliverDue(), 2);
    assert.deepEqual(
      peer.mails.map((mail) => mail.subject),
      [
        '[critical] balance_refused opened: licensing server isp',
        '[critical] balance_refused resolved: licensing server isp',
      ],
    );
    const rows = await store.listForAlert(alert.id);
    assert.deepEqual(
      rows.map((row) => [row.event, row.state]),
      [
        ['opened', 'delivered'],
        ['resolved', 'delivered'],
      ],
    );
  });

  it('holds back only later notices of the same alert: another alert goes while the first waits out its back-off', async () => {
    const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
    const port = await freePort();
    const alerts = emailDispatcher(port, password);
    const first = balanceAlert('isp');
    await recordAlert(first);
    assert.equal(await alerts.deliverDue(), 0, 'the SMTP peer is down');

    const peer = await smtpPeer({ port, auth: { user: SMTP_USER, pass: password } });
    clock = new Date(clock.getTime() + 1000);
    await recordAlert(balanceAlert('isp-2'));
    assert.equal(await alerts.deliverDue(), 1);
    assert.deepEqual(
      peer.mails.map((mail) => mail.subject),
      ['[critical] balance_refused opened: licensing server isp-2'],
    );
    assert.equal((await store.listForAlert(first.id))[0]!.state, 'pending', 'the first waits for its retry');
  });
});
