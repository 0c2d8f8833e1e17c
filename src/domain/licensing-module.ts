import type { LicensePeriod, Period } from './period';

/**
 * The contract every licensing-server module keeps (one implementation per API flavour, registered in
 * `modules/index.ts`). Modules know nothing of express, BullMQ or knex: they turn these calls into upstream API
 * calls and upstream answers into these results, and throw the errors of `./upstream-errors` on failure.
 */
export interface LicensingServerModule {
  /** Makes one real authenticated call; resolves when the credentials work, throws an upstream error otherwise. */
  checkConnection(): Promise<void>;
  /** Orders (and pays for) a new license. The reference is carried upstream so a lost reply can be found again. */
  order(params: OrderParams): Promise<OrderResult>;
  /** Reads one license; throws `UpstreamNotFoundError` when the upstream does not know it. */
  get(params: LicenseRef): Promise<UpstreamLicense>;
  /** Every license of the account. */
  list(): Promise<UpstreamLicense[]>;
  /** The license an earlier `order` with this reference created, or null when that order never went through. */
  findByReference(params: { reference: string }): Promise<UpstreamLicense | null>;
  /**
   * Sets the IP, the name, or both in ONE call (one upstream write, checked and applied together): a reuse or a
   * setparam that moves a license to a service changes both, and one call is half the round trips of two.
   */
  edit(params: LicenseRef & { ip?: string; name?: string }): Promise<void>;
  changeIp(params: LicenseRef & { ip: string }): Promise<void>;
  rename(params: LicenseRef & { name: string }): Promise<void>;
  /**
   * Regenerates the activation key so that the previous holder's key stops working, then reads the license back:
   * `license` is that read (new key, status, expiry, IP, name), or null when the read failed after the key was
   * regenerated; `activationKey` is its key.
   */
  regenerateKey(params: LicenseRef): Promise<{ activationKey: string | null; license: UpstreamLicense | null }>;
  /** Renews (and pays for) one more period. */
  prolong(params: LicenseRef & { period: Period }): Promise<void>;
  suspend(params: LicenseRef): Promise<void>;
  resume(params: LicenseRef): Promise<void>;
  /** Deletes the license upstream. */
  remove(params: LicenseRef): Promise<void>;
}

export interface LicenseRef {
  /** The upstream's id of the license (`elid`). */
  upstreamId: string;
}

export interface OrderParams {
  /** The upstream price-list id, e.g. `3541`. */
  priceList: string;
  /** `trial` orders a trial license (the module's trial period code); a module without one refuses it. */
  period: LicensePeriod;
  ip: string;
  /** The license name shown upstream; identifies the service. */
  name: string;
  /** Our unique reference for this order (sent as `remoteid`), used by `findByReference`. */
  reference: string;
}

export interface OrderResult {
  upstreamId: string;
}

/** Upstream license states, after BILLmanager's status codes 0–5. */
export type UpstreamLicenseStatus = 'unknown' | 'ordered' | 'active' | 'suspended' | 'deleted' | 'processing';

export interface UpstreamLicense {
  upstreamId: string;
  priceList: string;
  ip: string | null;
  name: string;
  status: UpstreamLicenseStatus;
  /** When the paid time ends; null when the upstream did not say. */
  paidUntil: Date | null;
  /** Null in list replies, which do not carry keys. */
  activationKey: string | null;
  /** The reference the order carried, when the upstream gives it back. */
  reference: string | null;
}

/** What a module needs to reach one licensing server. The password arrives decrypted and must never be logged. */
export interface LicensingServerConnection {
  url: string;
  username: string;
  password: string;
  /** Module-specific settings, validated by the module's own schema before `create` is called. */
  settings: unknown;
}

/** The few things a module may use from its host. */
export interface ModuleContext {
  logger: ModuleLogger;
}

export interface ModuleLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One registered module: its id, how its settings are validated, and how an instance is made. */
export interface LicensingModuleDefinition<Settings = unknown> {
  id: string;
  /** Validates and defaults the `settings` object; throws a readable error naming the field. */
  parseSettings(settings: unknown): Settings;
  create(connection: LicensingServerConnection & { settings: Settings }, context: ModuleContext): LicensingServerModule;
}
