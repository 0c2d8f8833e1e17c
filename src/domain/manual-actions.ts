import type { AdoptRequest } from './adoption';
import type { Period } from './period';

/** What a person may do to one license by hand (CONTRACT.md "Licenses by hand"). */
export const LICENSE_ACTIONS = ['renew', 'suspend', 'resume', 'regenerate-key', 'change-ip', 'delete'] as const;
export type LicenseAction = (typeof LICENSE_ACTIONS)[number];

/** The events of operations a person asks for: an action on a license, a service's license again, a pool order. */
export type ManualEvent = `license.${LicenseAction}` | 'service.provide' | 'pool.order';

/**
 * What the person asked for, kept with the operation so that every attempt does the same thing. Everything that
 * decides how much is paid (a renewal's target date, a pool order's license id) is fixed when the request is made.
 */
export type ManualRequest =
  | {
      kind: 'license';
      action: LicenseAction;
      licenseId: string;
      /** `renew`: the period of each renewal, and the paid-until it must reach (RFC 3339). */
      period?: Period;
      renewUntil?: string;
      /** `change-ip`: the new IP. */
      ip?: string;
    }
  | { kind: 'provide' }
  | {
      kind: 'pool-order';
      licensingServer: string;
      priceList: string;
      period: Period;
      ip: string;
      /** Our id of the license to be ordered: its upstream name is `pool <licenseId>`. */
      licenseId: string;
    }
  /** `license.adopt` (reconciliation's adoption, `lifecycle/adoption.ts`). */
  | AdoptRequest;

const MANUAL_EVENTS: ReadonlySet<string> = new Set([
  ...LICENSE_ACTIONS.map((action) => `license.${action}`),
  'service.provide',
  'pool.order',
]);

export function isManualEvent(event: string): event is ManualEvent {
  return MANUAL_EVENTS.has(event);
}

/** The upstream name of a license ordered into the pool. */
export function poolLicenseName(licenseId: string): string {
  return `pool ${licenseId}`;
}
