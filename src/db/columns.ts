import type { Period } from '../domain/period';

/** Times are stored as fixed-width ISO-8601 UTC text so that they sort and compare the same on SQLite and PostgreSQL. */
export function toDbTime(date: Date): string {
  return date.toISOString();
}

export function fromDbTime(value: string): Date;
export function fromDbTime(value: string | null | undefined): Date | null;
export function fromDbTime(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}

export function periodToDb(period: Period): string {
  return String(period);
}

export function periodFromDb(value: string): Period {
  return value === 'lifetime' ? 'lifetime' : Number(value);
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(value: string | null | undefined): T | null {
  return value ? (JSON.parse(value) as T) : null;
}

/** True for a unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True for a foreign-key violation on either database. */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string };
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
