import assert from 'node:assert/strict';
import type { Period } from '../../../src/domain/period';
import { ModuleConfigurationError, UpstreamRejectedError } from '../../../src/domain/upstream-errors';
import { rejectionOf } from './helpers';
import { countCalls, moduleFor, useSandbox } from './sandbox-helpers';

/** The contract's period does not admit `trial` yet (src/domain); the module already maps it. */
const TRIAL = 'trial' as unknown as Period;
const trialOrder = { priceList: '55239', period: TRIAL, ip: '203.0.113.20', name: 'vps-7', reference: 'op-7.order.0' };

describe('billmanager module against the sandbox: trials', () => {
  const sandbox = useSandbox();

  it('orders a trial with periodCodes.trial: a 14-day license', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(trialOrder);
    const license = await module.get({ upstreamId });
    assert.equal(license.paidUntil?.toISOString(), '2025-03-24T23:59:59.999Z');
    assert.equal(
      sandbox()
        .calls()
        .find((call) => call.func === 'soft.order.param')?.params.period,
      '-50',
    );
  });

  it('a second trial for the same IP is UpstreamRejectedError exists; a trial cannot be renewed', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(trialOrder);
    const second = await rejectionOf(module.order({ ...trialOrder, reference: 'op-8.order.0' }));
    assert.ok(second instanceof UpstreamRejectedError);
    assert.equal(second.upstreamType, 'exists');
    assert.equal(second.code, 'upstream_exists');
    const renewal = await rejectionOf(module.prolong({ upstreamId, period: 1 }));
    assert.ok(renewal instanceof UpstreamRejectedError);
    assert.equal(renewal.upstreamType, 'value');
  });

  it('a trial without periodCodes.trial is a configuration error, and nothing is sent', async () => {
    const module = moduleFor(sandbox(), { periodCodes: { lifetime: -100 } });
    const error = await rejectionOf(module.order(trialOrder));
    assert.ok(error instanceof ModuleConfigurationError);
    assert.match(error.message, /periodCodes\.trial/);
    assert.equal(countCalls(sandbox(), 'soft.order.param'), 0);
  });
});
