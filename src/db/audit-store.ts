import type { Knex } from 'knex';
import { fromJson, toJson } from './columns';

/** What an audit row is about: a license move, an operation, or a catalog entry an admin wrote. */
export type AuditSubjectType =
  'license' | 'service' | 'operation' | 'licensing_server' | 'enumeration' | 'tariff_plan' | 'period_comparison';

export interface AuditEntry {
  /** A token's name (an admin write), `worker`, `scheduler` or `reconciler`. */
  actor: string;
  /** What happened: `license.<move>`, `admin.<what>.<verb>`, … */
  action: string;
  subjectType: AuditSubjectType;
  subjectId: string;
  /** The license the row touched; defaults to the subject when it is a license. */
  licenseId?: string | null;
  /** The service the row touched; defaults to the subject when it is a service. */
  serviceId?: string | null;
  /** The operation the row belongs to; defaults to the subject when it is an operation. */
  operationId?: string | null;
  /** Safe details only: never a password, a token or an activation key. */
  details?: Record<string, unknown>;
}

/** One row of the trail as `GET /v1/admin/audit` shows it. */
export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  licenseId: string | null;
  serviceId: string | null;
  operationId: string | null;
  details: Record<string, unknown> | null;
}

/** Filters of `GET /v1/admin/audit`; every one given must match. */
export interface AuditFilter {
  licenseId?: string;
  serviceId?: string;
  operationId?: string;
  actor?: string;
  /** Rows written at or after this instant. */
  since?: Date;
  /** Rows written before this instant. */
  until?: Date;
}

export interface AuditStore {
  record(entry: AuditEntry, now: Date, trx?: Knex): Promise<void>;
  listFor(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<Array<AuditEntry & { at: string }>>;
  /**
   * Newest first, `limit` rows at most, only rows older than the row `beforeId` when given: ids only grow, so a page
   * never repeats or skips a row however many are written meanwhile.
   */
  list(filter: AuditFilter, page: { limit: number; beforeId?: number }): Promise<AuditRow[]>;
  /** Deletes up to `limit` of the oldest rows written before `before` (`retention.auditDays`); returns how many. */
  pruneBefore(before: Date, limit: number): Promise<number>;
}

interface Row {
  id: number | string;
  at: string;
  actor: string;
  action: string;
  subject_type: AuditSubjectType;
  subject_id: string;
  license_id: string | null;
  service_id: string | null;
  operation_id: string | null;
  details: string | null;
}

export class KnexAuditStore implements AuditStore {
  constructor(private readonly db: Knex) {}

  async record(entry: AuditEntry, now: Date, trx: Knex = this.db): Promise<void> {
    const subjectIf = (type: AuditSubjectType) => (entry.subjectType === type ? entry.subjectId : null);
    await trx('audit_log').insert({
      at: now.toISOString(),
      actor: entry.actor,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId,
      license_id: entry.licenseId ?? subjectIf('license'),
      service_id: entry.serviceId ?? subjectIf('service'),
      operation_id: entry.operationId ?? subjectIf('operation'),
      details: entry.details ? toJson(entry.details) : null,
    });
  }

  async listFor(subjectType: AuditEntry['subjectType'], subjectId: string) {
    const rows: Row[] = await this.db('audit_log')
      .where({ subject_type: subjectType, subject_id: subjectId })
      .orderBy('id');
    return rows.map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      subjectType,
      subjectId,
      licenseId: r.license_id,
      serviceId: r.service_id,
      operationId: r.operation_id,
      details: fromJson<Record<string, unknown>>(r.details) ?? undefined,
    }));
  }

  async list(filter: AuditFilter, page: { limit: number; beforeId?: number }): Promise<AuditRow[]> {
    const query = this.db('audit_log').orderBy('id', 'desc').limit(page.limit);
    if (page.beforeId !== undefined) query.where('id', '<', page.beforeId);
    if (filter.licenseId) query.where({ license_id: filter.licenseId });
    if (filter.serviceId) query.where({ service_id: filter.serviceId });
    if (filter.operationId) query.where({ operation_id: filter.operationId });
    if (filter.actor) query.where({ actor: filter.actor });
    if (filter.since) query.where('at', '>=', filter.since.toISOString());
    if (filter.until) query.where('at', '<', filter.until.toISOString());
    const rows: Row[] = await query;
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      licenseId: r.license_id,
      serviceId: r.service_id,
      operationId: r.operation_id,
      details: fromJson<Record<string, unknown>>(r.details),
    }));
  }

  async pruneBefore(before: Date, limit: number): Promise<number> {
    const oldest = this.db('audit_log').where('at', '<', before.toISOString()).orderBy('id').limit(limit).select('id');
    return this.db('audit_log').whereIn('id', oldest).delete();
  }
}
