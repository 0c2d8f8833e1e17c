import type { Knex } from 'knex';
import type { LicenseState } from '../domain/lifecycle';
import type { UpstreamLicenseStatus } from '../domain/licensing-module';
import type { SecretBox, SecretLocation } from '../security/secret-box';
import { fromDbTime } from './columns';

/** Where a license's activation key is stored: the encryption binds the value to it. */
export function activationKeyLocation(licenseId: string): SecretLocation {
  return { table: 'licenses', column: 'activation_key_encrypted', rowId: licenseId };
}

export interface LicenseRecord {
  id: string;
  licensingServer: string;
  upstreamId: string;
  priceList: string;
  ip: string | null;
  name: string | null;
  status: UpstreamLicenseStatus;
  paidUntil: Date | null;
  /** Decrypted; never log it. */
  activationKey: string | null;
  state: LicenseState;
  serviceId: string | null;
  operationId: string | null;
  orderReference: string | null;
  ipChangedAt: Date | null;
  keyRegeneratedAt: Date | null;
  pooledAt: Date | null;
  createdAt: string;
  updatedAt: string;
}

export type NewLicense = Omit<LicenseRecord, 'createdAt' | 'updatedAt' | 'pooledAt'>;
export type LicensePatch = Partial<
  Omit<LicenseRecord, 'id' | 'licensingServer' | 'upstreamId' | 'createdAt' | 'updatedAt'>
>;

/** What a pooled license must satisfy to be given to a service (SPEC "The pool"). */
export interface PoolClaim {
  licensingServer: string;
  priceList: string;
  /** Paid until later than this (now plus the margin). */
  paidAfter: Date;
  /** The IP the service needs: a license already on it needs no IP change. */
  ip: string;
  /** IP changes before this instant (the start of the current calendar month) do not block another one. */
  ipChangeCutoff: Date;
  /** Keys regenerated before this instant (a month ago) may be regenerated again. */
  keyCutoff: Date;
  operationId: string;
  serviceId: string;
}

export interface LicenseFilter {
  status?: string;
  state?: LicenseState;
  ip?: string;
  priceList?: string;
  name?: string;
  serviceId?: string;
  pooled?: boolean;
  expiresBefore?: Date;
  expiresAfter?: Date;
  licensingServer?: string;
}

export interface PoolSummaryRow {
  licensingServer: string;
  priceList: string;
  pooled: number;
  soonestExpiry: string | null;
}

export interface LicenseStore {
  insert(license: NewLicense, now: Date, trx?: Knex): Promise<void>;
  get(id: string, trx?: Knex): Promise<LicenseRecord | null>;
  findByService(serviceId: string, trx?: Knex): Promise<LicenseRecord | null>;
  findByUpstream(licensingServer: string, upstreamId: string, trx?: Knex): Promise<LicenseRecord | null>;
  /** The license an operation holds reserved (claimed from the pool, or ordered and not yet bound). */
  findReservedBy(operationId: string, trx?: Knex): Promise<LicenseRecord | null>;
  /** Every license an operation holds reserved goes back to the pool (the operation gave up). */
  returnReservedToPool(operationId: string, now: Date, trx?: Knex): Promise<string[]>;
  /**
   * Moves one pooled license back to `reserved` for the operation (compare-and-set on `state`, like `claimPooled`,
   * without its eligibility rules); null when it is no longer pooled.
   */
  reclaimPooled(
    id: string,
    operationId: string,
    serviceId: string,
    now: Date,
    trx?: Knex,
  ): Promise<LicenseRecord | null>;
  update(id: string, patch: LicensePatch, now: Date, trx?: Knex): Promise<void>;
  /**
   * Atomically moves one eligible pooled license to `reserved` for the operation (the soonest to expire first),
   * or returns null. Two callers never get the same license: the move is a compare-and-set on `state`.
   */
  claimPooled(claim: PoolClaim, now: Date, skip?: readonly string[], trx?: Knex): Promise<LicenseRecord | null>;
  list(filter: LicenseFilter, page: { limit: number; after?: string }): Promise<LicenseRecord[]>;
  poolSummary(): Promise<PoolSummaryRow[]>;
  /** Counts pooled licenses per (server, price list) that `eligibleFor` would accept now. */
  countEligible(
    paidAfter: Date,
    ipChangeCutoff: Date,
    keyCutoff: Date,
  ): Promise<Array<{ licensingServer: string; priceList: string; eligible: number }>>;
  /** Pooled licenses paid until before `now`: they leave the pool. Returns their ids. */
  expirePooled(now: Date): Promise<string[]>;
}

interface Row {
  id: string;
  licensing_server: string;
  upstream_id: string;
  price_list: string;
  ip: string | null;
  name: string | null;
  status: UpstreamLicenseStatus;
  paid_until: string | null;
  activation_key_encrypted: string | null;
  state: LicenseState;
  service_id: string | null;
  operation_id: string | null;
  order_reference: string | null;
  ip_changed_at: string | null;
  key_regenerated_at: string | null;
  pooled_at: string | null;
  created_at: string;
  updated_at: string;
}

const CLAIM_CANDIDATES = 8;

export class KnexLicenseStore implements LicenseStore {
  constructor(
    private readonly db: Knex,
    private readonly secretBox: SecretBox,
  ) {}

  async insert(license: NewLicense, now: Date, trx: Knex = this.db): Promise<void> {
    const at = now.toISOString();
    await trx('licenses').insert({
      ...this.toRow(license.id, license),
      pooled_at: null,
      created_at: at,
      updated_at: at,
    });
  }

  async get(id: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ id }));
  }

  async findByService(serviceId: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ service_id: serviceId }));
  }

  async findByUpstream(
    licensingServer: string,
    upstreamId: string,
    trx: Knex = this.db,
  ): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ licensing_server: licensingServer, upstream_id: upstreamId }));
  }

  async findReservedBy(operationId: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ operation_id: operationId, state: 'reserved' }).orderBy('created_at'));
  }

  async returnReservedToPool(operationId: string, now: Date, trx: Knex = this.db): Promise<string[]> {
    const rows: Array<{ id: string }> = await trx('licenses')
      .where({ operation_id: operationId, state: 'reserved' })
      .select('id');
    await trx('licenses').where({ operation_id: operationId, state: 'reserved' }).update({
      state: 'pooled',
      service_id: null,
      operation_id: null,
      pooled_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    return rows.map((r) => r.id);
  }

  async reclaimPooled(
    id: string,
    operationId: string,
    serviceId: string,
    now: Date,
    trx: Knex = this.db,
  ): Promise<LicenseRecord | null> {
    const claimed = await trx('licenses').where({ id, state: 'pooled' }).update({
      state: 'reserved',
      operation_id: operationId,
      service_id: serviceId,
      pooled_at: null,
      updated_at: now.toISOString(),
    });
    return claimed === 1 ? this.get(id, trx) : null;
  }

  async update(id: string, patch: LicensePatch, now: Date, trx: Knex = this.db): Promise<void> {
    const row = this.toRow(id, patch);
    if (patch.pooledAt !== undefined) row.pooled_at = patch.pooledAt?.toISOString() ?? null;
    await trx('licenses')
      .where({ id })
      .update({ ...row, updated_at: now.toISOString() });
  }

  async claimPooled(
    claim: PoolClaim,
    now: Date,
    skip: readonly string[] = [],
    trx: Knex = this.db,
  ): Promise<LicenseRecord | null> {
    // Candidates are read without locks; the compare-and-set below decides. A lost race just tries the next one.
    const candidates: Array<{ id: string }> = await trx('licenses')
      .where({ state: 'pooled', licensing_server: claim.licensingServer, price_list: claim.priceList })
      .where('paid_until', '>', claim.paidAfter.toISOString())
      .where((q) =>
        q
          .whereNull('ip_changed_at')
          .orWhere('ip_changed_at', '<', claim.ipChangeCutoff.toISOString())
          .orWhere('ip', claim.ip),
      )
      .where((q) =>
        q.whereNull('key_regenerated_at').orWhere('key_regenerated_at', '<=', claim.keyCutoff.toISOString()),
      )
      .whereNotIn('id', [...skip])
      .orderBy([{ column: 'paid_until' }, { column: 'id' }])
      .limit(CLAIM_CANDIDATES)
      .select('id');
    for (const { id } of candidates) {
      const claimed = await trx('licenses').where({ id, state: 'pooled' }).update({
        state: 'reserved',
        operation_id: claim.operationId,
        service_id: claim.serviceId,
        updated_at: now.toISOString(),
      });
      if (claimed === 1) return this.get(id, trx);
    }
    return candidates.length === CLAIM_CANDIDATES
      ? this.claimPooled(claim, now, [...skip, ...candidates.map((c) => c.id)], trx)
      : null;
  }

  async list(filter: LicenseFilter, page: { limit: number; after?: string }): Promise<LicenseRecord[]> {
    const query = this.db('licenses').orderBy('id').limit(page.limit);
    if (page.after) query.where('id', '>', page.after);
    if (filter.status) query.where({ status: filter.status });
    if (filter.state) query.where({ state: filter.state });
    if (filter.ip) query.where({ ip: filter.ip });
    if (filter.priceList) query.where({ price_list: filter.priceList });
    if (filter.name)
      query.whereRaw("name LIKE ? ESCAPE '\\'", [`%${filter.name.replace(/[%_\\]/g, (c) => `\\${c}`)}%`]);
    if (filter.serviceId) query.where({ service_id: filter.serviceId });
    if (filter.licensingServer) query.where({ licensing_server: filter.licensingServer });
    if (filter.pooled === true) query.where({ state: 'pooled' });
    if (filter.pooled === false) query.whereNot({ state: 'pooled' });
    if (filter.expiresBefore) query.where('paid_until', '<', filter.expiresBefore.toISOString());
    if (filter.expiresAfter) query.where('paid_until', '>', filter.expiresAfter.toISOString());
    return ((await query) as Row[]).map((row) => this.toRecord(row));
  }

  async poolSummary(): Promise<PoolSummaryRow[]> {
    const rows: Array<Record<string, unknown>> = await this.db('licenses')
      .where({ state: 'pooled' })
      .groupBy('licensing_server', 'price_list')
      .orderBy(['licensing_server', 'price_list'])
      .select('licensing_server', 'price_list')
      .count({ pooled: '*' })
      .min({ soonest: 'paid_until' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      pooled: Number(r.pooled),
      soonestExpiry: r.soonest ? String(r.soonest) : null,
    }));
  }

  async countEligible(paidAfter: Date, ipChangeCutoff: Date, keyCutoff: Date) {
    const rows: Array<Record<string, unknown>> = await this.db('licenses')
      .where({ state: 'pooled' })
      .where('paid_until', '>', paidAfter.toISOString())
      .where((q) => q.whereNull('ip_changed_at').orWhere('ip_changed_at', '<', ipChangeCutoff.toISOString()))
      .where((q) => q.whereNull('key_regenerated_at').orWhere('key_regenerated_at', '<=', keyCutoff.toISOString()))
      .groupBy('licensing_server', 'price_list')
      .select('licensing_server', 'price_list')
      .count({ eligible: '*' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      eligible: Number(r.eligible),
    }));
  }

  async expirePooled(now: Date): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db('licenses')
      .where({ state: 'pooled' })
      .where('paid_until', '<=', now.toISOString())
      .select('id');
    const expired: string[] = [];
    for (const { id } of rows) {
      const changed = await this.db('licenses')
        .where({ id, state: 'pooled' })
        .update({ state: 'expired', updated_at: now.toISOString() });
      if (changed === 1) expired.push(id);
    }
    return expired;
  }

  private async one(query: Knex.QueryBuilder): Promise<LicenseRecord | null> {
    const row = (await query.first()) as Row | undefined;
    return row ? this.toRecord(row) : null;
  }

  private toRow(
    id: string,
    license: LicensePatch & Partial<Pick<LicenseRecord, 'id' | 'licensingServer' | 'upstreamId'>>,
  ): Partial<Row> {
    const row: Partial<Row> = {};
    const set = <K extends keyof Row>(key: K, value: Row[K] | undefined) => {
      if (value !== undefined) row[key] = value;
    };
    const time = (d: Date | null | undefined) => (d === undefined ? undefined : (d?.toISOString() ?? null));
    set('id', license.id);
    set('licensing_server', license.licensingServer);
    set('upstream_id', license.upstreamId);
    set('price_list', license.priceList);
    set('ip', license.ip);
    set('name', license.name);
    set('status', license.status);
    set('paid_until', time(license.paidUntil));
    if (license.activationKey !== undefined) {
      row.activation_key_encrypted =
        license.activationKey === null
          ? null
          : this.secretBox.encrypt(license.activationKey, activationKeyLocation(id));
    }
    set('state', license.state);
    set('service_id', license.serviceId);
    set('operation_id', license.operationId);
    set('order_reference', license.orderReference);
    set('ip_changed_at', time(license.ipChangedAt));
    set('key_regenerated_at', time(license.keyRegeneratedAt));
    return row;
  }

  private toRecord(row: Row): LicenseRecord {
    return {
      id: row.id,
      licensingServer: row.licensing_server,
      upstreamId: row.upstream_id,
      priceList: row.price_list,
      ip: row.ip,
      name: row.name,
      status: row.status,
      paidUntil: fromDbTime(row.paid_until),
      activationKey: row.activation_key_encrypted
        ? this.secretBox.decrypt(row.activation_key_encrypted, activationKeyLocation(row.id))
        : null,
      state: row.state,
      serviceId: row.service_id,
      operationId: row.operation_id,
      orderReference: row.order_reference,
      ipChangedAt: fromDbTime(row.ip_changed_at),
      keyRegeneratedAt: fromDbTime(row.key_regenerated_at),
      pooledAt: fromDbTime(row.pooled_at),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
