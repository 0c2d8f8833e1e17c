/** A column of a table: its header and how a row shows in it. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

const STATUS_COLOURS: Record<string, number> = {
  succeeded: 32,
  active: 32,
  ok: 32,
  resolved: 32,
  failed: 31,
  critical: 31,
  deleted: 31,
  waiting: 33,
  warning: 33,
  suspended: 33,
  queued: 36,
  running: 36,
};

/**
 * What a command prints: tables and `key: value` blocks for people, the API's JSON as is under `--json`. Colour
 * only on a terminal, and never with `NO_COLOR` set.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly colour: boolean,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  static forProcess(json: boolean): Output {
    const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    return new Output(json, colour);
  }

  line(text = ''): void {
    this.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** Rows under aligned headers; `(none)` when there are none. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): void {
    if (rows.length === 0) {
      this.line('(none)');
      return;
    }
    const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
    const widths = columns.map((column, i) =>
      Math.max(column.header.length, ...cells.map((rowCells) => rowCells[i]!.length)),
    );
    const render = (texts: string[], paint: (text: string, i: number) => string) =>
      texts
        .map((text, i) => (i === texts.length - 1 ? paint(text, i) : paint(text.padEnd(widths[i]!), i)))
        .join('  ')
        .trimEnd();
    this.line(
      render(
        columns.map((column) => column.header),
        (text) => this.paint(text, 1),
      ),
    );
    for (const rowCells of cells) this.line(render(rowCells, (text) => this.paintStatus(text)));
  }

  /** `label: value` lines, labels aligned. */
  fields(pairs: ReadonlyArray<readonly [string, unknown]>): void {
    const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
    for (const [label, value] of pairs)
      this.line(`${this.paint(`${label}:`.padEnd(width), 1)} ${this.paintStatus(cellText(value))}`);
  }

  heading(text: string): void {
    this.line();
    this.line(this.paint(text, 1));
  }

  private paintStatus(text: string): string {
    const code = STATUS_COLOURS[text.trim()];
    return code ? this.paint(text, code) : text;
  }

  private paint(text: string, code: number): string {
    return this.colour ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/** How one value shows in a cell: `-` for nothing, times to the minute (UTC), objects as compact `k=v`. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return isTimestamp(value) ? shortTime(value) : value.replace(/\s+/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(cellText).join(',');
  return Object.entries(value as Record<string, unknown>)
    .map(([key, inner]) => `${key}=${typeof inner === 'object' && inner !== null ? JSON.stringify(inner) : inner}`)
    .join(' ');
}

function isTimestamp(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text);
}

/** `2026-12-22T00:00:00.000Z` → `2026-12-22 00:00` (times are UTC throughout). */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** A sum of money, or `-` when unpriced (the API's `null`). */
export function money(amount: number | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined) return '-';
  return `${amount.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}
