import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AlertDraft } from '../domain/alert-rules';
import { moreSevere } from '../domain/alert-rules';
import {
  subjectKey,
  type AlertChannel,
  type AlertKind,
  type AlertSeverity,
  type AlertState,
  type AlertSubject,
  type AlertView,
} from '../domain/alerts';
import type { AlertNotificationStore } from './alert-notification-store';
import { fromJson, toJson } from './columns';

/** An alert as stored: its view, plus its state and when it last changed. */
export interface AlertRecord extends AlertView {
  state: AlertState;
  updatedAt: string;
}

/** What an escalation changes: the count of timed escalations, and/or the severity (a critical turn). */
export interface AlertEscalation {
  escalations?: number;
  severity?: AlertSeverity;
  message?: string;
}

/**
 * The alerts (SPEC.md "Alerts and escalation"), at most one open per kind and subject. Every opening, escalation and
 * resolution writes its notifications (one per channel) in the same transaction.
 */
export interface AlertStore {
  /**
   * Opens the alert, notified `opened`. When one of its kind and subject is already open (the partial unique index
   * decides, across processes) it is merged into that one instead, without a notice: the subject's lists united
   * (`subject.operations`), the message replaced, the severity raised, never lowered.
   */
  open(
    draft: AlertDraft,
    channels: readonly AlertChannel[],
    now: Date,
    trx: Knex.Transaction,
  ): Promise<{ alert: AlertRecord; opened: boolean }>;
  /**
   * Notified `escalated`; null when the alert is no longer open or already has the change (compare-and-set: its
   * `escalations` already at or past the step, or it is already critical for a critical turn).
   */
  escalate(
    id: string,
    change: AlertEscalation,
    channels: readonly AlertChannel[],
    now: Date,
    trx: Knex.Transaction,
  ): Promise<AlertRecord | null>;
  /** A quiet change of an open alert (a message with new counts); null when it is no longer open. */
  update(id: string, change: { message: string }, now: Date, trx: Knex.Transaction): Promise<AlertRecord | null>;
  /** Resolves an open alert, notified `resolved`; null when it was not open (another process resolved it). */
  resolve(id: string, channels: readonly AlertChannel[], now: Date, trx: Knex.Transaction): Promise<AlertRecord | null>;
  /** Set by the notification dispatcher when a channel delivered one of the alert's notices. */
  markNotified(id: string, at: Date, trx?: Knex): Promise<void>;
  get(id: string, trx?: Knex): Promise<AlertRecord | null>;
  listOpen(trx?: Knex): Promise<AlertRecord[]>;
  /** Newest first. */
  list(filter: { state?: AlertState; kind?: AlertKind }, limit: number): Promise<AlertRecord[]>;
}

interface Row {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  subject: string;
  subject_key: string;
  message: string;
  state: AlertState;
  opened_at: string;
  escalations: number | string;
  notified_at: string | null;
  resolved_at: string | null;
  updated_at: string;
}

const TABLE = 'alerts';

export class KnexAlertStore implements AlertStore {
  constructor(
    private readonly db: Knex,
    private readonly notifications: AlertNotificationStore,
  ) {}

  async open(draft: AlertDraft, channels: readonly AlertChannel[], now: Date, trx: Knex.Transaction) {
    const key = subjectKey(draft.subject);
    // The open alert that won over our insert may be resolved (committed) before we read it: then nothing is open
    // any more and the insert is tried once again, rather than losing this opening.
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.insertOpen(draft, key, now, trx);
      if (inserted) {
        await this.notifications.enqueue(alertView(inserted), 'opened', channels, now, trx);
        return { alert: inserted, opened: true };
      }
      const existing = await this.lockOpen(draft.kind, key, trx);
      if (!existing) continue;
      const subject = uniteLists(existing.subject, draft.subject);
      const changed = await this.write(
        existing.id,
        { subject: toJson(subject), message: draft.message, severity: moreSevere(existing.severity, draft.severity) },
        now,
        trx,
      );
      return { alert: changed ?? existing, opened: false };
    }
    throw new Error(`alert ${draft.kind} ${key}: neither inserted nor found open`);
  }

  async escalate(
    id: string,
    change: AlertEscalation,
    channels: readonly AlertChannel[],
    now: Date,
    trx: Knex.Transaction,
  ) {
    // Compare-and-set: two sweeps that read the alert before either escalated it must not both apply (and notify)
    // the same step; the one that comes second matches nothing.
    const alert = await this.write(id, change, now, trx, (query) => {
      if (change.escalations !== undefined) query.where('escalations', '<', change.escalations);
      if (change.severity === 'critical') query.whereNot('severity', 'critical');
    });
    if (alert) await this.notifications.enqueue(alertView(alert), 'escalated', channels, now, trx);
    return alert;
  }

  async update(id: string, change: { message: string }, now: Date, trx: Knex.Transaction) {
    return this.write(id, change, now, trx);
  }

  async resolve(id: string, channels: readonly AlertChannel[], now: Date, trx: Knex.Transaction) {
    const alert = await this.write(id, { state: 'resolved', resolved_at: now.toISOString() }, now, trx);
    if (alert) await this.notifications.enqueue(alertView(alert), 'resolved', channels, now, trx);
    return alert;
  }

  async markNotified(id: string, at: Date, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ id }).update({ notified_at: at.toISOString() });
  }

  async get(id: string, trx: Knex = this.db): Promise<AlertRecord | null> {
    const row = await trx<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : null;
  }

  async listOpen(trx: Knex = this.db): Promise<AlertRecord[]> {
    return ((await trx<Row>(TABLE).where({ state: 'open' }).orderBy('opened_at')) as Row[]).map(toRecord);
  }

  async list(filter: { state?: AlertState; kind?: AlertKind }, limit: number): Promise<AlertRecord[]> {
    const query = this.db<Row>(TABLE)
      .orderBy([
        { column: 'opened_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    if (filter.state) query.where({ state: filter.state });
    if (filter.kind) query.where({ kind: filter.kind });
    return ((await query) as Row[]).map(toRecord);
  }

  /** The one write of an open alert: changes it only while it is open, and answers the row as it is then. */
  private async write(
    id: string,
    change: Partial<Pick<Row, 'severity' | 'subject' | 'message' | 'state' | 'resolved_at'>> & {
      escalations?: number;
    },
    now: Date,
    trx: Knex.Transaction,
    onlyIf: (query: Knex.QueryBuilder) => void = () => {},
  ): Promise<AlertRecord | null> {
    const query = trx(TABLE).where({ id, state: 'open' });
    onlyIf(query);
    const updated: Row[] = await query.update({ ...change, updated_at: now.toISOString() }, '*');
    return updated.length === 1 ? toRecord(updated[0]!) : null;
  }

  /** Inserts the alert open unless one of its kind and subject is (the partial unique index decides); null then. */
  private async insertOpen(draft: AlertDraft, key: string, now: Date, trx: Knex.Transaction) {
    const at = now.toISOString();
    // No look first: the insert itself asks the unique index, so two processes opening at once cannot both win.
    const inserted: Row[] = await trx(TABLE)
      .insert(
        {
          id: crypto.randomUUID(),
          kind: draft.kind,
          severity: draft.severity,
          subject: toJson(draft.subject),
          subject_key: key,
          message: draft.message,
          state: 'open',
          opened_at: at,
          escalations: 0,
          updated_at: at,
        },
        '*',
      )
      .onConflict()
      .ignore();
    return inserted.length === 1 ? toRecord(inserted[0]!) : null;
  }

  /**
   * The open alert of a kind and subject, locked on PostgreSQL (SQLite's write transactions already serialize).
   * Protected: a test stands in for another process that resolves the alert between our insert and this read.
   */
  protected async lockOpen(kind: AlertKind, key: string, trx: Knex.Transaction): Promise<AlertRecord | null> {
    const row = await trx<Row>(TABLE).where({ kind, subject_key: key, state: 'open' }).forUpdate().first();
    return row ? toRecord(row) : null;
  }
}

/** The existing subject with the draft's lists added to its own (each id once, in the order first seen). */
function uniteLists(existing: AlertSubject, added: AlertSubject): AlertSubject {
  const united: AlertSubject = { ...existing };
  for (const [field, value] of Object.entries(added)) {
    const before = existing[field];
    if (Array.isArray(value) && Array.isArray(before)) united[field] = [...new Set([...before, ...value])];
    else if (!(field in existing)) united[field] = value;
  }
  return united;
}

/** The alert as the API and the notifications show it (CONTRACT.md): no state or bookkeeping fields. */
export function alertView(alert: AlertRecord): AlertView {
  const { state: _state, updatedAt: _updatedAt, ...view } = alert;
  return view;
}

function toRecord(row: Row): AlertRecord {
  return {
    id: row.id,
    kind: row.kind,
    severity: row.severity,
    subject: fromJson<AlertSubject>(row.subject) ?? {},
    message: row.message,
    state: row.state,
    openedAt: row.opened_at,
    escalations: Number(row.escalations),
    notifiedAt: row.notified_at,
    resolvedAt: row.resolved_at,
    updatedAt: row.updated_at,
  };
}
