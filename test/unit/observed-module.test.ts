import assert from 'node:assert/strict';
import type { LicensingServerModule } from '../../src/domain/licensing-module';
import { UpstreamRejectedError, UpstreamUnavailableError } from '../../src/errors';
import { observeModule, type UpstreamCall } from '../../src/lifecycle/observed-module';

/** A module whose `order` answers as told, and whose other functions are never called here. */
function moduleAnswering(order: () => Promise<{ upstreamId: string }>): LicensingServerModule {
  const unused = async () => {
    throw new Error('not called in this test');
  };
  return {
    checkConnection: unused,
    order,
    get: unused,
    list: unused,
    findByReference: unused,
    edit: unused,
    changeIp: unused,
    rename: unused,
    regenerateKey: unused,
    prolong: unused,
    suspend: unused,
    resume: unused,
    remove: unused,
  } as LicensingServerModule;
}

const ORDER = { priceList: '3541', period: 12, ip: '192.0.2.1', name: 'vps', reference: 'ref-1' } as const;

describe('observed module', () => {
  it('reports each call once, with its outcome and error code', async () => {
    const calls: UpstreamCall[] = [];
    const observe = (call: UpstreamCall) => void calls.push(call);
    await observeModule(
      moduleAnswering(async () => ({ upstreamId: '7' })),
      'isp',
      [observe],
    ).order(ORDER);
    const refused = observeModule(
      moduleAnswering(async () => {
        throw new UpstreamRejectedError('balance', 'balance', 'no money');
      }),
      'isp',
      [observe],
    );
    await assert.rejects(refused.order(ORDER), UpstreamRejectedError);
    const down = observeModule(
      moduleAnswering(async () => {
        throw new UpstreamUnavailableError('connection refused');
      }),
      'isp',
      [observe],
    );
    await assert.rejects(down.order(ORDER), UpstreamUnavailableError);
    assert.deepEqual(
      calls.map(({ fn, outcome, errorCode, licensingServer }) => ({ fn, outcome, errorCode, licensingServer })),
      [
        { fn: 'order', outcome: 'ok', errorCode: null, licensingServer: 'isp' },
        { fn: 'order', outcome: 'rejected', errorCode: 'upstream_balance', licensingServer: 'isp' },
        { fn: 'order', outcome: 'unreachable', errorCode: 'upstream_unavailable', licensingServer: 'isp' },
      ],
    );
  });

  it('keeps a paid call that went through a success when an observer throws', async () => {
    let orders = 0;
    const seen: string[] = [];
    const module = observeModule(
      moduleAnswering(async () => {
        orders++;
        return { upstreamId: '42' };
      }),
      'isp',
      [
        () => {
          throw new Error('observer broke');
        },
        (call) => void seen.push(call.outcome),
      ],
    );
    assert.deepEqual(await module.order(ORDER), { upstreamId: '42' });
    assert.equal(orders, 1, 'ordered once');
    assert.deepEqual(seen, ['ok'], 'the other observers are still told, once');
  });
});
