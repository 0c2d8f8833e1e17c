import type { LicenseRecord } from '../db/license-store';
import type { OperationRecord } from '../db/operation-store';
import type { ServiceRecord } from '../db/service-store';

/** The contract's operation. */
export function operationView(op: OperationRecord) {
  return {
    id: op.id,
    event: op.event,
    serviceId: op.serviceId,
    status: op.status,
    attempts: op.attempts,
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
    result: op.result,
    error: op.error,
    sequence: op.sequence,
    notBefore: op.notBefore?.toISOString() ?? null,
  };
}

/** Whether a view carries activation keys: the platform's and admins' do, a viewer's never. */
export interface KeyVisibility {
  showKeys: boolean;
}

/**
 * The contract's license, as `GET /v1/services/{id}` shows it: with the activation key for the platform, `null` in
 * its place for a reader who may not see keys.
 */
export function licenseView(license: LicenseRecord, { showKeys }: KeyVisibility) {
  return {
    id: license.id,
    upstreamId: license.upstreamId,
    licensingServer: license.licensingServer,
    priceList: license.priceList,
    ip: license.ip,
    name: license.name,
    status: license.status,
    paidUntil: license.paidUntil?.toISOString() ?? null,
    activationKey: showKeys ? license.activationKey : null,
  };
}

/** An item of the admin license list: the license view plus where it is. */
export function licenseListItemView(license: LicenseRecord, visibility: KeyVisibility) {
  return {
    ...licenseView(license, visibility),
    serviceId: license.serviceId,
    pooled: license.state === 'pooled',
    state: license.state,
    period: license.period,
    source: license.source,
    createdAt: license.createdAt,
  };
}

export function serviceView(service: ServiceRecord) {
  return {
    id: service.id,
    name: service.name,
    ip: service.ip,
    tariffPlan: service.tariffPlan,
    period: service.period,
    paidUntil: service.paidUntil?.toISOString() ?? null,
    controlPanel: service.controlPanel,
    status: service.status,
  };
}
