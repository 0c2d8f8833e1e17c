import assert from 'node:assert/strict';
import { BillmanagerSettingsError, parseBillmanagerSettings } from '../../../modules/billmanager/config';

describe('billmanager settings', () => {
  it('defaults everything', () => {
    const expected = {
      auth: 'session',
      timeoutMs: 15000,
      maxResponseBytes: 1048576,
      listMaxResponseBytes: 33554432,
      periodCodes: {},
    };
    assert.deepEqual(parseBillmanagerSettings(undefined), expected);
    assert.deepEqual(parseBillmanagerSettings(null), expected);
    assert.deepEqual(parseBillmanagerSettings({}), expected);
  });

  it('keeps given values; period codes may be numbers or strings', () => {
    assert.deepEqual(
      parseBillmanagerSettings({
        auth: 'authinfo',
        timeoutMs: 5000,
        maxResponseBytes: 4 * 1048576,
        listMaxResponseBytes: 64 * 1048576,
        periodCodes: { lifetime: -100, trial: 'trial7' },
      }),
      {
        auth: 'authinfo',
        timeoutMs: 5000,
        maxResponseBytes: 4194304,
        listMaxResponseBytes: 67108864,
        periodCodes: { lifetime: -100, trial: 'trial7' },
      },
    );
  });

  for (const [settings, field] of [
    [{ auth: 'basic' }, 'settings.auth'],
    [{ timeoutMs: 0 }, 'settings.timeoutMs'],
    [{ timeoutMs: '15000' }, 'settings.timeoutMs'],
    [{ timeoutMs: 1.5 }, 'settings.timeoutMs'],
    [{ maxResponseBytes: -1 }, 'settings.maxResponseBytes'],
    [{ listMaxResponseBytes: 512 }, 'settings.listMaxResponseBytes'],
    [{ periodCodes: { lifetime: '' } }, 'settings.periodCodes.lifetime'],
    [{ periodCodes: { lifetime: 1.5 } }, 'settings.periodCodes.lifetime'],
    [{ periodCodes: { trail: -50 } }, 'trail'],
    [{ periodCodes: 'lifetime' }, 'settings.periodCodes'],
    [{ timeout: 100 }, 'timeout'],
    ['session', 'settings'],
  ] as const) {
    it(`rejects ${JSON.stringify(settings)} naming ${field}`, () => {
      assert.throws(
        () => parseBillmanagerSettings(settings),
        (error: unknown) => {
          assert.ok(error instanceof BillmanagerSettingsError);
          assert.ok(error.message.includes(field), error.message);
          return true;
        },
      );
    });
  }
});
