import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alertChannelsFromConfig } from '../../src/alerts/channels-from-config';
import type { NotificationChannel } from '../../src/alerts/notification-channel';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { configSchema } from '../../src/config/schema';
import { verifySignature } from '../../src/platform/signature';
import { startWebhookReceiver } from '../helpers/alert-notifications';

const PRODUCTION_SECRETS = {
  HOOK_SECRET: 'hook-secret-0123456789abcdef',
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  ENCRYPTION_KEY: 'ab'.repeat(32),
};

/**
 * Alert webhooks go to a third party: they are signed with `alerts.webhookSecret`, else `platform.callbackSecret`,
 * never with `hooks.secret` (the key of incoming hooks), so a webhook URL without either key stops start-up.
 */
describe('alerts.webhookSecret: required with alerts.webhookUrl unless platform.callbackSecret is set', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-webhook-secret-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(content: unknown, env: NodeJS.ProcessEnv) {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(content));
    return loadConfig({ configPath: file, cwd: dir, env });
  }
  const withWebhook = { alerts: { webhookUrl: 'https://ops.example.net/license-alerts' } };
  const namesTheField = (error: unknown) =>
    error instanceof ConfigError && /^alerts\.webhookSecret \(ALERT_WEBHOOK_SECRET\): required/.test(error.message);

  it('stops start-up naming alerts.webhookSecret when only hooks.secret could sign, in every environment', () => {
    assert.throws(() => load(withWebhook, { NODE_ENV: 'production', ...PRODUCTION_SECRETS }), namesTheField);
    assert.throws(() => load(withWebhook, { NODE_ENV: 'development', HOOK_SECRET: 'x'.repeat(32) }), namesTheField);
    assert.throws(() => load(withWebhook, { NODE_ENV: 'development' }), namesTheField);
  });

  it('starts with alerts.webhookSecret (file or ALERT_WEBHOOK_SECRET), or with platform.callbackSecret', () => {
    const production = { NODE_ENV: 'production', ...PRODUCTION_SECRETS };
    const fromEnv = load(withWebhook, { ...production, ALERT_WEBHOOK_SECRET: 'alert-secret-0123456789' });
    assert.equal(fromEnv.config.alerts.webhookSecret, 'alert-secret-0123456789');
    const inFile = { alerts: { ...withWebhook.alerts, webhookSecret: 'alert-secret-from-file-01' } };
    assert.doesNotThrow(() => load(inFile, production));
    assert.doesNotThrow(() => load(withWebhook, { ...production, CALLBACK_SECRET: 'callback-secret-0123456789' }));
  });

  it('needs no key without a webhook URL (e-mail only, or no channel)', () => {
    const email = { alerts: { email: { url: 'smtp://127.0.0.1:25', from: 'a@example.net', to: ['b@example.net'] } } };
    assert.doesNotThrow(() => load(email, { NODE_ENV: 'production', ...PRODUCTION_SECRETS }));
    assert.doesNotThrow(() => load({}, { NODE_ENV: 'production', ...PRODUCTION_SECRETS }));
  });

  it('the channel built from the config signs with alerts.webhookSecret, else platform.callbackSecret, never hooks.secret', async () => {
    const receiver = await startWebhookReceiver();
    const WEBHOOK_SECRET = 'alert-webhook-secret-0123456789';
    const HOOK_SECRET = 'incoming-hook-secret-0123456789';
    const CALLBACK_SECRET = 'callback-secret-0123456789';
    const config = (alerts: { webhookSecret?: string }, callbackSecret?: string) => ({
      alerts: configSchema.shape.alerts.parse({ webhookUrl: receiver.url, deliveryTimeoutMs: 3000, ...alerts }),
      platform: configSchema.shape.platform.parse({ callbackSecret }),
      hooks: { secret: HOOK_SECRET },
    });
    const notification = {
      id: 'a9d4e3f0-0000-4000-8000-000000000001',
      payload: {
        event: 'opened' as const,
        alert: {
          id: 'a9d4e3f0-0000-4000-8000-000000000002',
          kind: 'upstream_unreachable' as const,
          severity: 'warning' as const,
          subject: { licensingServer: 'isp' },
          message: 'licensing server isp gave no answer',
          openedAt: '2026-12-02T10:00:00.000Z',
          escalations: 0,
          notifiedAt: null,
          resolvedAt: null,
        },
      },
    };
    const send = async (channels: NotificationChannel[]) => {
      assert.equal(channels.length, 1);
      assert.deepEqual(await channels[0]!.deliver(notification), { delivered: true });
      return receiver.received.at(-1)!;
    };
    const verifiedBy = (secret: string, delivery: { signature: string | undefined; rawBody: Buffer }) =>
      verifySignature(secret, delivery.signature, delivery.rawBody, 300).ok;
    try {
      const own = await send(alertChannelsFromConfig(config({ webhookSecret: WEBHOOK_SECRET }, CALLBACK_SECRET)));
      assert.equal(verifiedBy(WEBHOOK_SECRET, own), true);
      const byCallbackKey = await send(alertChannelsFromConfig(config({}, CALLBACK_SECRET)));
      assert.equal(verifiedBy(CALLBACK_SECRET, byCallbackKey), true);
      for (const delivery of [own, byCallbackKey]) assert.equal(verifiedBy(HOOK_SECRET, delivery), false);
      assert.throws(
        () => alertChannelsFromConfig(config({})),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith('alerts.webhookSecret'),
        'no key but hooks.secret: no webhook channel at all',
      );
    } finally {
      await receiver.close();
    }
  });
});
