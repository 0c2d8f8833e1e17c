import { isApiError } from './api-client';

/**
 * An API error laid out for a form: the messages the error's `details` tie to a field the form shows (zod issues'
 * `path`, or `field`), and the rest as general messages shown at the top of the page.
 */
export class FormErrors {
  readonly general: string[] = [];
  private readonly byField = new Map<string, string[]>();

  static none(): FormErrors {
    return new FormErrors();
  }

  /** Maps an API error body onto `fields` (the names of the form's controls). */
  static fromApi(body: unknown, fields: readonly string[], status?: number): FormErrors {
    const errors = new FormErrors();
    if (!isApiError(body)) {
      errors.general.push(`The API answered ${status ?? 'unexpectedly'}.`);
      return errors;
    }
    const { message, details } = body.error;
    const issues = issuesOf(details);
    if (issues.length > 0) {
      for (const issue of issues) errors.add(fields, issue.path, issue.message);
      return errors;
    }
    const field = fieldOf(details);
    if (field) errors.add(fields, field, message);
    else errors.general.push(message);
    return errors;
  }

  static general(message: string): FormErrors {
    const errors = new FormErrors();
    errors.general.push(message);
    return errors;
  }

  get any(): boolean {
    return this.general.length > 0 || this.byField.size > 0;
  }

  /** The messages for one control. */
  forField(name: string): string[] {
    return this.byField.get(name) ?? [];
  }

  /**
   * Files a message under the longest prefix of `path` that names a control (`body.values.0.key` → `values`, with
   * "line 1, key:" before the message), else as a general message.
   */
  private add(fields: readonly string[], path: string, message: string): void {
    const parts = path.split('.').filter((part) => part !== '');
    if (['body', 'query', 'path'].includes(parts[0] ?? '')) parts.shift();
    for (let length = parts.length; length > 0; length--) {
      const name = parts.slice(0, length).join('.');
      if (!fields.includes(name)) continue;
      const rest = parts.slice(length);
      const where = rest.length > 0 ? `${describeRest(rest)}: ` : '';
      this.byField.set(name, [...this.forField(name), `${where}${message}`]);
      return;
    }
    this.general.push(parts.length > 0 ? `${parts.join('.')}: ${message}` : message);
  }
}

function describeRest(rest: string[]): string {
  const [first, ...more] = rest;
  const line = /^\d+$/.test(first ?? '') ? `line ${Number(first) + 1}` : first;
  return [line, ...more].join(', ');
}

function issuesOf(details: unknown): Array<{ path: string; message: string }> {
  if (typeof details !== 'object' || details === null || !('issues' in details) || !Array.isArray(details.issues))
    return [];
  return details.issues.filter(
    (issue): issue is { path: string; message: string } =>
      typeof issue?.path === 'string' && typeof issue?.message === 'string',
  );
}

function fieldOf(details: unknown): string | null {
  if (typeof details !== 'object' || details === null || !('field' in details)) return null;
  return typeof details.field === 'string' ? details.field : null;
}
