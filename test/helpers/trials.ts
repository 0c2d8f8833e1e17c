import assert from 'node:assert/strict';
import type { Harness } from './lifecycle';

/** ISPmanager 6 as its vendor publishes it: 55239 the 14-day trial, 55227 Lite (SPEC.md "Trials"). */
export const ISP6_VALUES = [
  { key: 'nopanel', name: 'Without control panel', internalName: 'nopanel' },
  { key: 'isp6-trial', name: 'ISPmanager 6 trial (14 days)', internalName: '55239', periods: ['trial'] },
  { key: 'isp6-lite', name: 'ISPmanager 6 Lite', internalName: '55227' },
];

/** An API-made enumeration with a trial value, and a plan on it whose default is the trial. */
export async function putTrialCatalog(h: Harness, licensingServer = 'isp'): Promise<void> {
  const enumeration = await h.service.request('PUT', '/v1/admin/enumerations/isp6', {
    body: { name: 'ISPmanager 6', values: ISP6_VALUES },
  });
  assert.equal(enumeration.status, 200, JSON.stringify(enumeration.body));
  const plan = await h.service.request('PUT', '/v1/admin/tariff-plans/vps6', {
    body: { name: 'VPS 6', productType: 'vds', licensingServer, enumeration: 'isp6', defaultValue: 'isp6-trial' },
  });
  assert.equal(plan.status, 200, JSON.stringify(plan.body));
}
