import type { Knex } from 'knex';
import type { SecretBox } from '../security/secret-box';
import { KnexAuditStore, type AuditStore } from './audit-store';
import { KnexLicenseCostStore } from './license-cost-store';
import {
  changedFacts,
  type AdoptedLicense,
  type LicenseMoveContext,
  type OperationMoveContext,
  type OrderedLicense,
  type PoolClaim,
  type PoolReturn,
  type Renewal,
} from './license-move-inputs';
import { whereEligible } from './license-pool-query';
import {
  licensePeriodToDb,
  LicenseRowMapper,
  type LicenseRecord,
  type LicenseRow,
  type UpstreamFacts,
} from './license-rows';

export * from './license-move-inputs';
export { whereEligible } from './license-pool-query';

/** How a new license is held when it is recorded: its state, its upstream status, its service. */
type NewLicenseHold = Pick<LicenseRow, 'state' | 'status'> & { serviceId: string | null };

/** An ordered license is reserved for its operation (and service) until it is bound, processing until read. */
const orderedHold = (license: OrderedLicense): NewLicenseHold => ({
  state: 'reserved',
  serviceId: license.serviceId,
  status: 'processing',
});

/** Candidates read per round of a pool claim; a round whose candidates were all taken reads the next. */
const CLAIM_CANDIDATES = 8;

/**
 * Every change of a license's state, holder or lifecycle facts, each named by its intent and each writing its
 * `license.<move>` row of the audit trail in the same transaction (CONTRACT.md "Audit trail"). Nothing else writes
 * a license's `state`, `service_id` or `operation_id`. The transaction, when the caller has one, comes last.
 */
export class KnexLicenseMoves {
  protected readonly rows: LicenseRowMapper;

  constructor(
    protected readonly db: Knex,
    secretBox: SecretBox,
    private readonly audit: AuditStore = new KnexAuditStore(db),
    /** Orders, renewals and reuses are priced in the transaction of their move (the savings report reads them). */
    private readonly costs = new KnexLicenseCostStore(db),
  ) {
    this.rows = new LicenseRowMapper(secretBox);
  }

  async get(id: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    const row = (await trx('licenses').where({ id }).first()) as LicenseRow | undefined;
    return row ? this.rows.toRecord(row) : null;
  }

  /** `license.ordered`: an order was paid; the license is reserved for the operation until it is bound. */
  ordered(license: OrderedLicense, by: OperationMoveContext, trx?: Knex): Promise<LicenseRecord> {
    return this.addLicense(license, orderedHold(license), by, trx);
  }

  /** The license `ordered` writes for these arguments, as it will read once written (no query). */
  orderedRecord(license: OrderedLicense, by: OperationMoveContext): LicenseRecord {
    return this.rows.toRecord(this.newRow(license, orderedHold(license), by));
  }

  /** `license.adopted`: a live upstream license becomes a pooled license of ours (`source` `adopted`). */
  async adopted(license: AdoptedLicense, by: LicenseMoveContext, trx?: Knex): Promise<void> {
    await this.addLicense(license, { state: 'pooled', serviceId: null, status: license.status }, by, trx);
  }

  /**
   * `license.claimed`: atomically reserves one eligible pooled license for the operation (the soonest to expire
   * first), or returns null. Two callers never get the same license: the move is a compare-and-set on `state`.
   * Candidates are read without locks (in `trx` if given); each claim runs in `write`'s transaction (a worker's
   * lease-checked one), by default `trx` or a transaction of its own. A lost race just tries the next candidate.
   */
  async claimFromPool(
    claim: PoolClaim,
    by: LicenseMoveContext,
    skip: readonly string[] = [],
    trx?: Knex,
    write: <T>(work: (t: Knex) => Promise<T>) => Promise<T> = (work) => this.inTransaction(trx, work),
  ): Promise<LicenseRecord | null> {
    const claimant = { ...by, operationId: claim.operationId };
    for (let passed = [...skip]; ;) {
      const candidates = await this.poolCandidates(claim, passed, trx);
      for (const id of candidates) {
        const claimed = await write((t) => this.claimAgain(id, claim, claimant, t));
        if (claimed) return claimed;
      }
      if (candidates.length < CLAIM_CANDIDATES) return null;
      passed = [...passed, ...candidates];
    }
  }

  /**
   * The ids of up to `CLAIM_CANDIDATES` eligible pooled licenses, the soonest to expire first, read without locks:
   * only `claimAgain`'s compare-and-set makes one the claimant's. A full round may have more behind it.
   */
  private async poolCandidates(
    claim: Omit<PoolClaim, 'operationId' | 'serviceId' | 'avoided'>,
    skip: readonly string[] = [],
    trx: Knex = this.db,
  ): Promise<string[]> {
    const rows: Array<{ id: string }> = await whereEligible(
      trx('licenses').where({ licensing_server: claim.licensingServer, price_list: claim.priceList }),
      claim,
      claim.ip,
    )
      .whereNotIn('id', [...skip])
      .orderBy([{ column: 'paid_until' }, { column: 'id' }])
      .limit(CLAIM_CANDIDATES)
      .select('id');
    return rows.map((row) => row.id);
  }

  /**
   * `license.claimed`: reserves one given pooled license for the operation, without the eligibility rule (a license
   * an earlier attempt of the same operation had ordered or prepared); null when it is no longer pooled. A claim that
   * `avoided` an order is a reuse: its cost row (and the audit row's `costAvoided`) say what the order would have cost.
   */
  claimAgain(
    id: string,
    holder: { serviceId: string; avoided?: PoolClaim['avoided'] },
    by: OperationMoveContext,
    trx?: Knex,
  ): Promise<LicenseRecord | null> {
    const { serviceId, avoided } = holder;
    return this.move(id, 'license.claimed', by, trx, {
      change: { state: 'reserved', service_id: serviceId, operation_id: by.operationId, pooled_at: null },
      only: (q) => q.where({ state: 'pooled' }),
      details: avoided ? () => ({ period: avoided.period, costAvoided: avoided.price }) : undefined,
      also: async (t, moved) => {
        if (avoided) await this.costs.record('reuse', moved, avoided, by, t);
      },
    });
  }

  /** `license.bound`: the license is the service's. No row when it already was. */
  bind(id: string, serviceId: string, by: LicenseMoveContext, trx?: Knex): Promise<LicenseRecord | null> {
    return this.move(id, 'license.bound', by, trx, {
      change: { state: 'bound', service_id: serviceId, operation_id: null, pooled_at: null },
      only: (q) =>
        q.where((w) => w.whereNot({ state: 'bound' }).orWhereNull('service_id').orWhereNot({ service_id: serviceId })),
    });
  }

  /**
   * `license.ip_changed`: the upstream took the new IP (`from` is the IP the caller knew); the calendar-month cooldown
   * starts now. `facts` the same upstream call set (a name) are written with it.
   */
  ipChanged(
    id: string,
    ip: { from: string | null; to: string },
    by: LicenseMoveContext,
    trx?: Knex,
    facts: UpstreamFacts = {},
  ): Promise<LicenseRecord | null> {
    return this.move(id, 'license.ip_changed', by, trx, {
      change: { ...this.rows.factsToRow(id, facts), ip: ip.to, ip_changed_at: by.at.toISOString() },
      details: () => ({ from: ip.from, to: ip.to }),
    });
  }

  /**
   * `license.key_regenerated`: a new activation key (never in the audit row); the previous one stops working. `facts`
   * are what the read that told the key says besides (status, expiry, IP, name), written with it.
   */
  keyRegenerated(
    id: string,
    activationKey: string | null,
    by: LicenseMoveContext,
    trx?: Knex,
    facts: UpstreamFacts = {},
  ) {
    return this.move(id, 'license.key_regenerated', by, trx, {
      change: {
        ...this.rows.factsToRow(id, facts),
        // The previous key no longer works: one the upstream did not tell is not kept.
        activation_key_encrypted: this.rows.encryptKey(id, activationKey),
        key_regenerated_at: by.at.toISOString(),
      },
    });
  }

  /** `license.renewed`: one renewal was paid (details: period, paid-until before and after, cost when known). */
  renewed(id: string, renewal: Renewal, by: LicenseMoveContext, trx?: Knex): Promise<LicenseRecord | null> {
    return this.move(id, 'license.renewed', by, trx, {
      change: {},
      details: () => ({
        period: renewal.period,
        paidUntilBefore: renewal.paidUntilBefore.toISOString(),
        paidUntil: renewal.paidUntil?.toISOString() ?? null,
        cost: renewal.cost.price,
      }),
      also: (t, moved) => this.costs.record('renewal', moved, { ...renewal.cost, period: renewal.period }, by, t),
    });
  }

  /** `license.suspended`: suspended upstream. */
  suspended(id: string, by: LicenseMoveContext, trx?: Knex): Promise<LicenseRecord | null> {
    return this.move(id, 'license.suspended', by, trx, { change: { status: 'suspended' } });
  }

  /** `license.resumed`: active again upstream. */
  resumed(id: string, by: LicenseMoveContext, trx?: Knex): Promise<LicenseRecord | null> {
    return this.move(id, 'license.resumed', by, trx, { change: { status: 'active' } });
  }

  /** `license.pooled`: unbound and kept for reuse (its paid time is left; see PoolReturn for why). */
  pooled(id: string, why: PoolReturn, by: LicenseMoveContext, trx?: Knex): Promise<LicenseRecord | null> {
    const at = by.at.toISOString();
    return this.move(id, 'license.pooled', by, trx, {
      change: {
        state: 'pooled',
        service_id: null,
        operation_id: null,
        pooled_at: at,
        ...(why.refused === 'ip' ? { ip_changed_at: at } : {}),
        ...(why.refused === 'lickey' ? { key_regenerated_at: at } : {}),
      },
      only: (q) => q.whereIn('state', ['bound', 'reserved']),
      details: () => ({ reason: why.reason, ...(why.refused ? { refused: why.refused } : {}) }),
      endsHolding: true,
    });
  }

  /** Every license the operation holds reserved goes back to the pool (`license.pooled`: the operation failed). */
  async returnReservedToPool(by: OperationMoveContext, trx?: Knex): Promise<string[]> {
    const reserved: Array<{ id: string }> = await (trx ?? this.db)('licenses')
      .where({ operation_id: by.operationId, state: 'reserved' })
      .select('id');
    const returned: string[] = [];
    for (const { id } of reserved) {
      if (await this.pooled(id, { reason: 'operation_failed' }, by, trx)) returned.push(id);
    }
    return returned;
  }

  /** `license.deleted`: deleted upstream by us (`removed`), or found gone there (`gone_upstream`); unbound. */
  deleted(id: string, reason: 'removed' | 'gone_upstream', by: LicenseMoveContext, trx?: Knex) {
    return this.move(id, 'license.deleted', by, trx, {
      change: { state: 'released', status: 'deleted', service_id: null, operation_id: null },
      details: () => ({ reason }),
      endsHolding: true,
    });
  }

  /** `license.expired`: pooled licenses paid until no later than `by.at` leave the pool. Returns their ids. */
  async expirePooled(by: LicenseMoveContext): Promise<string[]> {
    const due: Array<{ id: string }> = await this.db('licenses')
      .where({ state: 'pooled' })
      .where('paid_until', '<=', by.at.toISOString())
      .select('id');
    const expired: string[] = [];
    for (const { id } of due) {
      const moved = await this.move(id, 'license.expired', by, undefined, {
        change: { state: 'expired' },
        only: (q) => q.where({ state: 'pooled' }),
      });
      if (moved) expired.push(id);
    }
    return expired;
  }

  /**
   * `license.synced`: the upstream's word taken for a license we hold (reconciliation). Writes a row naming each
   * field that changed (the key's value never), none when nothing did.
   */
  async synced(id: string, facts: UpstreamFacts, by: LicenseMoveContext, trx?: Knex) {
    return this.inTransaction(trx, async (t) => {
      const before = await this.get(id, t);
      if (!before) return null;
      const changes = changedFacts(before, facts);
      if (!Object.keys(changes).length) return before;
      return this.move(id, 'license.synced', by, t, {
        change: this.rows.factsToRow(id, facts),
        details: () => changes,
      });
    });
  }

  /** Records what an upstream read or a settled step says (status, expiry, IP, name, key): no move, no audit row. */
  async recordUpstreamFacts(id: string, facts: UpstreamFacts, at: Date, trx: Knex = this.db): Promise<void> {
    await trx('licenses')
      .where({ id })
      .update({ ...this.rows.factsToRow(id, facts), updated_at: at.toISOString() });
  }

  private async addLicense(
    license: OrderedLicense | AdoptedLicense,
    held: NewLicenseHold,
    by: LicenseMoveContext,
    trx?: Knex,
  ): Promise<LicenseRecord> {
    const adopted = 'activationKey' in license;
    return this.inTransaction(trx, async (t) => {
      const [added] = await t('licenses').insert(this.newRow(license, held, by), '*');
      await this.record(adopted ? 'license.adopted' : 'license.ordered', license.id, held.serviceId, by, t, {
        upstreamId: license.upstreamId,
        priceList: license.priceList,
        period: license.period,
        // Adoption is no cost: the license was paid for elsewhere.
        ...(adopted ? {} : { cost: license.cost.price }),
      });
      if (!adopted) await this.costs.record('order', license, { ...license.cost, period: license.period }, by, t);
      return this.rows.toRecord(added as LicenseRow);
    });
  }

  private newRow(license: OrderedLicense | AdoptedLicense, held: NewLicenseHold, by: LicenseMoveContext): LicenseRow {
    const at = by.at.toISOString();
    const adopted = 'activationKey' in license;
    return {
      id: license.id,
      licensing_server: license.licensingServer,
      upstream_id: license.upstreamId,
      price_list: license.priceList,
      period: license.period === null ? null : licensePeriodToDb(license.period),
      source: adopted ? 'adopted' : 'order',
      ip: license.ip,
      name: license.name,
      status: held.status,
      paid_until: adopted ? (license.paidUntil?.toISOString() ?? null) : null,
      activation_key_encrypted: adopted ? this.rows.encryptKey(license.id, license.activationKey) : null,
      state: held.state,
      service_id: held.serviceId,
      operation_id: adopted ? null : (by.operationId ?? null),
      order_reference: adopted ? null : license.orderReference,
      ip_changed_at: null,
      key_regenerated_at: null,
      pooled_at: held.state === 'pooled' ? at : null,
      created_at: at,
      updated_at: at,
    };
  }

  /**
   * A claim that goes back to the pool (or is found gone) before its operation succeeded served no one. The reuse
   * row is the reserving operation's, whoever makes this move (a reconciliation or a person has no such operation).
   */
  private async forgetUnservedReuse(before: LicenseRecord, trx: Knex): Promise<void> {
    if (before.state === 'reserved' && before.operationId)
      await this.costs.forgetReuse(before.id, before.operationId, trx);
  }

  /**
   * The one primitive under every move: in one transaction, updates the license (only if `only` still matches: a
   * compare-and-set) and writes the move's audit row. Returns the license as moved (the update returns it: nothing
   * is read back), or null when nothing matched. Two statements, and the cost row of a move that has one. A move
   * that `endsHolding` (pooled, deleted) reads the row first: its audit row names the service the license leaves,
   * and a reservation it ends drops its reuse cost row.
   */
  private move(
    id: string,
    action: `license.${string}`,
    by: LicenseMoveContext,
    trx: Knex | undefined,
    how: {
      change: Partial<LicenseRow>;
      only?: (q: Knex.QueryBuilder) => Knex.QueryBuilder;
      details?: (moved: LicenseRecord) => Record<string, unknown>;
      /** More writes of the same move (its cost row), in its transaction, once the license has moved. */
      also?: (trx: Knex, moved: LicenseRecord) => Promise<void>;
      endsHolding?: boolean;
    },
  ): Promise<LicenseRecord | null> {
    return this.inTransaction(trx, async (t) => {
      const before = how.endsHolding ? await this.get(id, t) : null;
      if (how.endsHolding && !before) return null;
      const moved = await this.compareAndSet(id, how.change, by, t, how.only);
      if (!moved) return null;
      await this.record(action, id, (before ?? moved).serviceId, by, t, how.details?.(moved));
      if (before) await this.forgetUnservedReuse(before, t);
      await how.also?.(t, moved);
      return moved;
    });
  }

  /** The compare-and-set itself: the license as written, or null when `only` no longer matched. */
  private async compareAndSet(
    id: string,
    change: Partial<LicenseRow>,
    by: LicenseMoveContext,
    t: Knex,
    only?: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<LicenseRecord | null> {
    const query = t('licenses').where({ id });
    const rows: LicenseRow[] = await (only ? only(query) : query).update(
      { ...change, updated_at: by.at.toISOString() },
      '*',
    );
    return rows.length === 1 ? this.rows.toRecord(rows[0]!) : null;
  }

  private record(
    action: string,
    licenseId: string,
    serviceId: string | null,
    by: LicenseMoveContext,
    trx: Knex,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(
      {
        actor: by.actor,
        action,
        subjectType: 'license',
        subjectId: licenseId,
        licenseId,
        serviceId,
        operationId: by.operationId ?? null,
        ...(details ? { details } : {}),
      },
      by.at,
      trx,
    );
  }

  private inTransaction<T>(trx: Knex | undefined, work: (t: Knex) => Promise<T>): Promise<T> {
    if (trx && (trx as Knex.Transaction).isTransaction) return work(trx);
    return (trx ?? this.db).transaction((t) => work(t));
  }
}
