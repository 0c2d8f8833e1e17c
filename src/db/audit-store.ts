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
  /** Safe details only: never a password, a token or an activation key. */
  details?: Record<string, unknown>;
}

export interface AuditStore {
  record(entry: AuditEntry, now: Date, trx?: Knex): Promise<void>;
  listFor(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<Array<AuditEntry & { at: string }>>;
  /** Deletes up to `limit` of the oldest rows written before `before` (`retention.auditDays`); returns how many. */
  pruneBefore(before: Date, limit: number): Promise<number>;
}

export class KnexAuditStore implements AuditStore {
  constructor(private readonly db: Knex) {}

  async record(entry: AuditEntry, now: Date, trx: Knex = this.db): Promise<void> {
    await trx('audit_log').insert({
      at: now.toISOString(),
      actor: entry.actor,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId,
      details: entry.details ? toJson(entry.details) : null,
    });
  }

  async listFor(subjectType: AuditEntry['subjectType'], subjectId: string) {
    const rows = await this.db('audit_log').where({ subject_type: subjectType, subject_id: subjectId }).orderBy('id');
    return rows.map((r: Record<string, string>) => ({
      at: r.at!,
      actor: r.actor!,
      action: r.action!,
      subjectType,
      subjectId,
      details: fromJson<Record<string, unknown>>(r.details) ?? undefined,
    }));
  }

  async pruneBefore(before: Date, limit: number): Promise<number> {
    const oldest = this.db('audit_log').where('at', '<', before.toISOString()).orderBy('id').limit(limit).select('id');
    return this.db('audit_log').whereIn('id', oldest).delete();
  }
}
