/** How the console writes values for people. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '—';
}

/** `1` → "1 month", `12` → "12 months", `"lifetime"` → "lifetime". */
export function formatPeriod(period: unknown): string {
  if (period === null || period === undefined) return '—';
  if (typeof period === 'number') return period === 1 ? '1 month' : `${period} months`;
  return String(period);
}

/** `1` → "monthly", `12` → "12-month" (an adjective before a noun). */
export function periodAdjective(period: unknown): string {
  if (period === 1) return 'monthly';
  if (typeof period === 'number') return `${period}-month`;
  return String(period);
}

export function formatMoney(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return '—';
  return `${amount.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}

/** A period typed into a form: digits become months, anything else is sent as typed (the API judges it). */
export function parsePeriodInput(text: string): number | string {
  const trimmed = text.trim();
  return /^\d{1,6}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** The first day of this month, UTC, as an RFC 3339 time. */
export function startOfMonth(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
}
