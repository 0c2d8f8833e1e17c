import assert from 'node:assert/strict';
import { SANDBOX_PASSWORD, SANDBOX_USER, startHarness, type Harness } from '../helpers/lifecycle';
import { accept, newServiceFacts, succeeded } from './support/fault-helpers';
import { ApiClient } from '../sandbox/helpers';
import { checkMoneyRules } from './support/money-checker';

/**
 * The checker every fault scenario ends with must itself fail when an invariant is broken: each case below breaks
 * one (upstream or in the database, as a faulty guard would) after a clean open, and expects the checker to say so.
 */
describe('faults: the money checker notices a broken invariant', function () {
  this.timeout(60_000);
  let h: Harness;
  let facts: Record<string, unknown>;
  let operationId: string;

  beforeEach(async () => {
    h = await startHarness();
    facts = newServiceFacts('checked');
    operationId = await accept(h, 'open', facts);
    await succeeded(h, operationId);
    await checkMoneyRules(h);
  });
  afterEach(async () => {
    await h.close();
  });

  const licenseRow = () => h.service.database.db('licenses').where({ service_id: facts.id }).first();

  it('I1: a second order carrying the same operation reference', async () => {
    await new ApiClient(h.sandbox, SANDBOX_USER, SANDBOX_PASSWORD).order({
      ip: facts.ip as string,
      licname: 'ordered twice',
      remoteid: `${operationId}.order.1`,
    });
    await assert.rejects(checkMoneyRules(h), /ordered 2 times/);
  });

  it('I2: one upstream license held by two services', async () => {
    const row = await licenseRow();
    const db = h.service.database.db;
    const server = await db('licensing_servers').where({ key: row.licensing_server }).first();
    await db('licensing_servers').insert({ ...server, key: 'twin' });
    await db('licenses').insert({ ...row, id: 'twin-license', licensing_server: 'twin', service_id: 'another-vps' });
    await assert.rejects(checkMoneyRules(h), /a license is held twice/);
  });

  it('I3: a license the account pays for that is neither bound, reserved nor pooled', async () => {
    const row = await licenseRow();
    await h.service.database.db('licenses').where({ id: row.id }).update({ state: 'released', service_id: null });
    await assert.rejects(checkMoneyRules(h), new RegExp(`paid license ${row.upstream_id} is released`));
  });
});
