import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ServiceStatus } from '../domain/lifecycle';
import type { LicenseState } from '../domain/lifecycle';
import type { UpstreamLicenseStatus } from '../domain/licensing-module';
import { fromDbTime, fromJson, toJson } from './columns';

/** The differences a reconciliation reports (CONTRACT.md "Reconciliation and adoption"). */
export type DriftKind = 'unknown_upstream' | 'missing_upstream' | 'mismatch';

export const DRIFT_KINDS: readonly DriftKind[] = ['unknown_upstream', 'missing_upstream', 'mismatch'];

/** One difference, as a run finds it. */
export interface DriftFinding {
  kind: DriftKind;
  upstreamId: string | null;
  /** Our license; null for `unknown_upstream`. */
  licenseId: string | null;
  serviceId: string | null;
  /** For a `mismatch`: `ip`, `priceList`, `paidUntil` or `status`. */
  field: string | null;
  /** What the service holds, and what the upstream says (any JSON). */
  local: unknown;
  upstream: unknown;
}

export interface DriftItem extends DriftFinding {
  id: string;
  licensingServer: string;
  /** When a run first found it: an item found again by later runs keeps its id and this time. */
  detectedAt: string;
}

export type ReconcileRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ReconcileRun {
  id: string;
  licensingServer: string;
  status: ReconcileRunStatus;
  requestedBy: string;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What a reconciliation compares of a license we hold: no secrets, and its service's facts beside it. */
export interface HeldLicenseFacts {
  id: string;
  upstreamId: string;
  state: LicenseState;
  status: UpstreamLicenseStatus;
  ip: string | null;
  priceList: string;
  paidUntil: Date | null;
  serviceId: string | null;
  operationId: string | null;
  createdAt: string;
  /** When the license row last changed: a row changed after the list was read is not judged by that list. */
  updatedAt: string;
  serviceStatus: ServiceStatus | null;
  servicePaidUntil: Date | null;
}

/** Drift items per licensing server, replaced whole by each successful run, and the runs themselves. */
export class KnexDriftStore {
  constructor(private readonly db: Knex) {}

  async createRun(run: { licensingServer: string; requestedBy: string }, at: Date): Promise<ReconcileRun> {
    const row = {
      id: crypto.randomUUID(),
      licensing_server: run.licensingServer,
      status: 'queued',
      requested_by: run.requestedBy,
      created_at: at.toISOString(),
    };
    await this.db('reconcile_runs').insert(row);
    return (await this.getRun(row.id))!;
  }

  async getRun(id: string): Promise<ReconcileRun | null> {
    const row = await this.db('reconcile_runs').where({ id }).first();
    return row ? toRun(row) : null;
  }

  /** Marks a queued run running; false when it already ran (a job delivered twice). */
  async startRun(id: string): Promise<boolean> {
    return (await this.db('reconcile_runs').where({ id, status: 'queued' }).update({ status: 'running' })) === 1;
  }

  /** The run failed: the previous drift of its server stays. */
  async failRun(id: string, error: { code: string; message: string }, at: Date): Promise<void> {
    await this.db('reconcile_runs')
      .where({ id })
      .update({
        status: 'failed',
        error_code: error.code,
        error_message: error.message.slice(0, 2000),
        finished_at: at.toISOString(),
      });
  }

  /**
   * The run succeeded: its findings replace the server's drift in one transaction. A finding that an earlier run
   * already reported (same kind, license or upstream id, field) keeps its id and `detectedAt`.
   */
  async replaceDrift(run: ReconcileRun, findings: readonly DriftFinding[], at: Date): Promise<void> {
    await this.db.transaction(async (trx) => {
      const previous = new Map<string, { id: string; detected_at: string }>();
      for (const row of await trx('drift_items').where({ licensing_server: run.licensingServer })) {
        previous.set(findingKey(toItem(row)), { id: row.id, detected_at: row.detected_at });
      }
      await trx('drift_items').where({ licensing_server: run.licensingServer }).delete();
      const rows = findings.map((finding) => {
        const earlier = previous.get(findingKey(finding));
        return {
          id: earlier?.id ?? crypto.randomUUID(),
          licensing_server: run.licensingServer,
          kind: finding.kind,
          upstream_id: finding.upstreamId,
          license_id: finding.licenseId,
          service_id: finding.serviceId,
          field: finding.field,
          local: toJson(finding.local ?? null),
          upstream: toJson(finding.upstream ?? null),
          detected_at: earlier?.detected_at ?? at.toISOString(),
          run_id: run.id,
        };
      });
      for (let i = 0; i < rows.length; i += 200) await trx('drift_items').insert(rows.slice(i, i + 200));
      await trx('reconcile_runs').where({ id: run.id }).update({ status: 'succeeded', finished_at: at.toISOString() });
    });
  }

  async list(filter: { licensingServer?: string; kind?: DriftKind }): Promise<DriftItem[]> {
    const query = this.db('drift_items').orderBy(['licensing_server', 'kind', 'detected_at', 'id']);
    if (filter.licensingServer) query.where({ licensing_server: filter.licensingServer });
    if (filter.kind) query.where({ kind: filter.kind });
    return (await query).map(toItem);
  }

  /** When the last successful run of each licensing server ended. */
  async checkedAt(): Promise<Record<string, string>> {
    const rows: Array<{ licensing_server: string; at: string }> = await this.db('reconcile_runs')
      .where({ status: 'succeeded' })
      .groupBy('licensing_server')
      .select('licensing_server')
      .max({ at: 'finished_at' });
    return Object.fromEntries(rows.map((r) => [r.licensing_server, String(r.at)]));
  }

  /** The latest failed run of each licensing server whose last run failed (what an alert reports). */
  async lastFailures(): Promise<ReconcileRun[]> {
    const finished = await this.db('reconcile_runs')
      .whereIn('status', ['succeeded', 'failed'])
      .orderBy([{ column: 'finished_at', order: 'desc' }]);
    const latest = new Map<string, ReconcileRun>();
    for (const row of finished) if (!latest.has(row.licensing_server)) latest.set(row.licensing_server, toRun(row));
    return [...latest.values()].filter((run) => run.status === 'failed');
  }

  /** The upstream ids of a server's `unknown_upstream` items (what `adopt` with `all` takes). */
  async unknownUpstreamIds(licensingServer: string): Promise<string[]> {
    const rows: Array<{ upstream_id: string }> = await this.db('drift_items')
      .where({ licensing_server: licensingServer, kind: 'unknown_upstream' })
      .orderBy('upstream_id')
      .select('upstream_id');
    return rows.map((r) => r.upstream_id);
  }

  /**
   * Whether an enumeration value of a tariff plan of this licensing server names the price list (`internalName`):
   * only such a license can ever serve an open, so only such a license is adopted.
   */
  async isPriceListInUse(licensingServer: string, priceList: string): Promise<boolean> {
    const row = await this.db('tariff_plans as tp')
      .join('enumeration_values as ev', 'ev.enumeration_key', 'tp.enumeration')
      .where({ 'tp.licensing_server': licensingServer, 'ev.internal_name': priceList })
      .first('ev.key');
    return row !== undefined;
  }

  /**
   * Every license of the server the service has not released, with its service's status and paid-until: one query
   * for the whole account, however big.
   */
  async heldLicenses(licensingServer: string): Promise<HeldLicenseFacts[]> {
    const rows: Array<Record<string, string | null>> = await this.db('licenses as l')
      .leftJoin('services as s', 's.id', 'l.service_id')
      .where('l.licensing_server', licensingServer)
      .select(
        'l.id',
        'l.upstream_id',
        'l.state',
        'l.status',
        'l.ip',
        'l.price_list',
        'l.paid_until',
        'l.service_id',
        'l.operation_id',
        'l.created_at',
        'l.updated_at',
        { service_status: 's.status', service_paid_until: 's.paid_until' },
      );
    return rows.map((r) => ({
      id: r.id!,
      upstreamId: r.upstream_id!,
      state: r.state as LicenseState,
      status: r.status as UpstreamLicenseStatus,
      ip: r.ip ?? null,
      priceList: r.price_list!,
      paidUntil: fromDbTime(r.paid_until),
      serviceId: r.service_id ?? null,
      operationId: r.operation_id ?? null,
      createdAt: r.created_at!,
      updatedAt: r.updated_at!,
      serviceStatus: r.service_status as ServiceStatus | null,
      servicePaidUntil: fromDbTime(r.service_paid_until),
    }));
  }
}

function findingKey(f: Pick<DriftFinding, 'kind' | 'licenseId' | 'upstreamId' | 'field'>): string {
  return [f.kind, f.licenseId ?? '', f.upstreamId ?? '', f.field ?? ''].join('\u0000');
}

function toItem(row: Record<string, string | null>): DriftItem {
  return {
    id: row.id!,
    licensingServer: row.licensing_server!,
    kind: row.kind as DriftKind,
    upstreamId: row.upstream_id ?? null,
    licenseId: row.license_id ?? null,
    serviceId: row.service_id ?? null,
    field: row.field ?? null,
    local: fromJson(row.local),
    upstream: fromJson(row.upstream),
    detectedAt: row.detected_at!,
  };
}

function toRun(row: Record<string, string | null>): ReconcileRun {
  return {
    id: row.id!,
    licensingServer: row.licensing_server!,
    status: row.status as ReconcileRunStatus,
    requestedBy: row.requested_by!,
    errorCode: row.error_code ?? null,
    errorMessage: row.error_message ?? null,
    createdAt: row.created_at!,
    finishedAt: row.finished_at ?? null,
  };
}

export type DriftStore = KnexDriftStore;
