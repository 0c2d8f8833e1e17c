/** Public types of the sandbox licensing server. */

/**
 * Prices per price list and period code, in the account's currency: `{ '3541': { '1': 10, '12': 100 } }`.
 * A period code a price list does not name cannot be ordered or renewed for it. Month codes are positive whole
 * numbers; `-100` is lifetime and `-50` trial (14 days, free, one per IP ever).
 */
export type SandboxPrices = Record<string, Record<string, number>>;

/** One reseller account of the sandbox. */
export interface SandboxAccountOptions {
  username: string;
  password: string;
  /** Starting balance; defaults to 10000. */
  balance?: number;
}

/** How to start a sandbox. Every field is optional. */
export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to `127.0.0.1`. */
  host?: string;
  /** The accounts; the first is the default one. Defaults to `reseller` / `sandbox` with a balance of 10000. */
  accounts?: SandboxAccountOptions[];
  /** Milliseconds added to every API call (not to the control API); defaults to 0. */
  latencyMs?: number;
  /** Where the sandbox clock starts (it then runs at real speed); defaults to the real present moment. */
  startTime?: Date;
  /** Price lists to add to, or replace in, the defaults (a named price list replaces the default one whole). */
  prices?: SandboxPrices;
  /** Serve the HTTP control API under `/_sandbox/`; defaults to true. */
  controlApi?: boolean;
  /** Called after every API call with its log entry (which never holds a password, session id or key). */
  onCall?: (call: SandboxCall) => void;
}

/** How a call ended for the caller. */
export type SandboxCallOutcome = 'ok' | 'error' | 'fault';

/** One entry of the call log. */
export interface SandboxCall {
  /** Sandbox-clock time of the call, RFC 3339. */
  at: string;
  func: string;
  /** The request parameters without `password`, `auth` and `authinfo`. */
  params: Record<string, string>;
  outcome: SandboxCallOutcome;
  /** The error document's type, for `error` outcomes and for faults that answered with one. */
  errorType?: string;
  /** The license the call addressed (`elid`) or created. */
  licenseId?: string;
  /** The account the call was made as, once authenticated. */
  account?: string;
  /** The fault that was applied to this call, if any. */
  fault?: FaultSpec['kind'];
  /** Whether the call's effect took place (false for faults that answer without performing it). */
  performed: boolean;
}

/** Upstream status codes: 0 unknown, 1 ordered, 2 active, 3 suspended, 4 deleted, 5 processing. */
export type SandboxStatusCode = 0 | 1 | 2 | 3 | 4 | 5;

/** A license as the sandbox holds it (a copy; changing it changes nothing). */
export interface SandboxLicense {
  id: string;
  owner: string;
  pricelist: string;
  /** The period code of the last order or renewal. */
  period: string;
  ip: string;
  licname: string;
  remoteid: string;
  lickey: string;
  /** The status as the API reports it now (4 once deleted). */
  status: SandboxStatusCode;
  /** Paid through the end of this UTC day. */
  expiredate: string;
  lifetime: boolean;
  trial: boolean;
  /** Suspended by `soft.suspend` (as opposed to by non-payment). */
  suspendedByRequest: boolean;
  createdAt: string;
  ipChangedAt: string | null;
  keyRegeneratedAt: string | null;
  /** Deleted by `soft.delete`, or 30 days after expiry. */
  deleted: boolean;
  /** When it was (or will be, if unpaid) deleted; null for a live license with paid time ahead and no deletion. */
  deletedAt: string | null;
  /** The `autoprolong` its order sent (null: none sent). Recorded only: the sandbox never renews by itself. */
  autoprolong: string | null;
}

/** A status a license can be given behind the API's back (deletion has a call of its own). */
export type OutsideLicenseStatus = 'active' | 'suspended';

/**
 * A license created behind the service's back, as if ordered elsewhere: by hand in the upstream's panel, or by
 * BILLmanager's own module (which keeps its free licenses as `free.lic` on `0.0.0.0`, the defaults here). Nothing is
 * charged and no API call is logged.
 */
export interface OutsideLicenseSpec {
  /** The owning account; defaults to the default account. */
  username?: string;
  /** Any price-list id (digits): one the sandbox does not price is allowed, as a real account may hold such. */
  pricelist: string;
  /** The period code of its pretended order (months, `-100` lifetime, `-50` trial); defaults to `12`. */
  period?: string;
  /** Paid through this `YYYY-MM-DD` day; defaults to today plus the period, as an order would give. */
  expiredate?: string;
  /** Defaults to `0.0.0.0`. */
  ip?: string;
  /** Defaults to `free.lic`. */
  licname?: string;
  /** Defaults to empty. */
  remoteid?: string;
  /** Defaults to `active` (an unpaid license still reads suspended). */
  status?: OutsideLicenseStatus;
}

/** Changes made to a live license behind the service's back: no charge, no cooldown, no call logged. */
export interface OutsideLicenseChanges {
  expiredate?: string;
  ip?: string;
  licname?: string;
  pricelist?: string;
  status?: OutsideLicenseStatus;
}

/** Which calls a fault applies to, and how many times. */
export interface FaultTarget {
  /** Only calls of this `func`; absent = any call to the API endpoint. */
  func?: string;
  /** How many calls it applies to; defaults to 1; `Infinity` until cleared. */
  times?: number;
}

/** A fault to inject into coming API calls. */
export type FaultSpec = FaultTarget &
  (
    | { kind: 'latency'; ms: number }
    | { kind: 'http'; status: number }
    | { kind: 'error'; type: string; object?: string; message?: string }
    | { kind: 'drop' }
    | { kind: 'performThenDrop' }
    | { kind: 'garbage' }
    | { kind: 'truncate' }
  );

/** The sandbox clock as tests see it. */
export interface SandboxClockControl {
  now(): Date;
  advance(ms: number): void;
  set(at: Date): void;
}

/** A running sandbox. */
export interface SandboxHandle {
  /** e.g. `http://127.0.0.1:PORT` */
  url: string;
  /** The licensing API endpoint, `${url}/billmgr`. */
  apiUrl: string;
  /** The default account's credentials. */
  username: string;
  password: string;
  clock: SandboxClockControl;
  armFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Milliseconds added to every API call from now on. */
  setLatency(ms: number): void;
  /** Licenses ordered from now on stay `processing` (status 5, no expiry or key shown) for `ms` of sandbox time. */
  setOrderProcessing(ms: number): void;
  calls(): SandboxCall[];
  licenses(): SandboxLicense[];
  /** Creates a license behind the service's back (see {@link OutsideLicenseSpec}); not in the call log. */
  createLicense(spec: OutsideLicenseSpec): SandboxLicense;
  /** Edits a live license behind the service's back; throws for an unknown or deleted one. */
  editLicense(licenseId: string, changes: OutsideLicenseChanges): SandboxLicense;
  /** Deletes a live license behind the service's back; throws for an unknown or deleted one. */
  deleteLicense(licenseId: string): SandboxLicense;
  /** The balance of an account (the default one when no name is given). */
  balance(username?: string): number;
  setBalance(amount: number, username?: string): void;
  /** Clears licenses, calls, faults, sessions and trial history; restores balances and the clock. */
  reset(): void;
  close(): Promise<void>;
}
