import type { Knex } from 'knex';
import { fromJson, toJson } from './columns';

export interface AuditEntry {
  actor: string;
  action: string;
  subjectType: 'license' | 'service' | 'operation';
  subjectId: string;
  /** Safe details only: never a password or an activation key. */
  details?: Record<string, unknown>;
}

export interface AuditStore {
  record(entry: AuditEntry, now: Date, trx?: Knex): Promise<void>;
  listFor(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<Array<AuditEntry & { at: string }>>;
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
}
