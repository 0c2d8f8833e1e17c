/**
 * The console's one template helper: `html` is a tagged template whose every interpolation is escaped, unless it is
 * itself `Html` (made by `html` or, for text known to be safe, `trustedHtml`). Arrays are joined; null, undefined
 * and false print nothing.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0]!;
  values.forEach((value, index) => {
    text += render(value) + strings[index + 1]!;
  });
  return new Html(text);
}

/** Text the caller vouches for (a constant of this code, never input). */
export function trustedHtml(text: string): Html {
  return new Html(text);
}

/** `selected`/`checked`-style attributes. */
export function attrIf(condition: boolean, name: string): Html {
  return new Html(condition ? ` ${name}` : '');
}
