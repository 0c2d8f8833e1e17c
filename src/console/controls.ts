import { CSRF_FIELD } from './csrf';
import type { FormErrors } from './form-errors';
import { attrIf, html, type Html, type HtmlValue } from './html';
import type { SignedIn } from './session';

/** One labelled control of a form; its errors (from the API, by field name) are shown under it. */
export interface FieldSpec {
  /** The form's id: control ids are `<form>-<name>`, unique on the page. */
  form: string;
  name: string;
  label: string;
  value?: string | null;
  type?: 'text' | 'password' | 'number' | 'date' | 'search';
  errors?: FormErrors;
  required?: boolean;
  placeholder?: string;
  hint?: string;
}

function describedBy(id: string, messages: string[], hint?: string): Html {
  const ids = [hint ? `${id}-hint` : null, messages.length > 0 ? `${id}-error` : null].filter(Boolean);
  return html`${ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : ''}${attrIf(messages.length > 0, 'aria-invalid="true"')}`;
}

/** The label, and the hint under it (above the control, so that the controls of a row line up). */
function labelFor(id: string, label: string, hint?: string): Html {
  return html`<label for="${id}">${label}</label
    >${hint ? html`<small class="hint" id="${id}-hint">${hint}</small>` : ''}`;
}

function errorNote(id: string, messages: string[]): Html {
  return messages.length > 0 ? html`<span class="field-error" id="${id}-error">${messages.join(' ')}</span>` : html``;
}

export function textField(spec: FieldSpec): Html {
  const id = `${spec.form}-${spec.name}`;
  const messages = spec.errors?.forField(spec.name) ?? [];
  return html`<div class="field">
    ${labelFor(id, spec.label, spec.hint)}
    <input
      id="${id}"
      name="${spec.name}"
      type="${spec.type ?? 'text'}"
      value="${spec.value ?? ''}"
      ${attrIf(
        spec.required === true,
        'required',
      )}${spec.placeholder ? html` placeholder="${spec.placeholder}"` : ''}${describedBy(id, messages, spec.hint)}
    />
    ${errorNote(id, messages)}
  </div>`;
}

export function textArea(spec: FieldSpec & { rows?: number }): Html {
  const id = `${spec.form}-${spec.name}`;
  const messages = spec.errors?.forField(spec.name) ?? [];
  return html`<div class="field field-wide">
    ${labelFor(id, spec.label, spec.hint)}
    <textarea
      id="${id}"
      name="${spec.name}"
      rows="${spec.rows ?? 4}"
      ${attrIf(spec.required === true, 'required')}${describedBy(id, messages, spec.hint)}
    >
${spec.value ?? ''}</textarea>
    ${errorNote(id, messages)}
  </div>`;
}

export interface Option {
  value: string;
  label: string;
  group?: string;
}

export function selectField(spec: FieldSpec & { options: readonly Option[]; blank?: string }): Html {
  const id = `${spec.form}-${spec.name}`;
  const messages = spec.errors?.forField(spec.name) ?? [];
  const option = (o: Option) =>
    html`<option value="${o.value}" ${attrIf(o.value === (spec.value ?? ''), 'selected')}>${o.label}</option>`;
  const groups = [...new Set(spec.options.map((o) => o.group ?? ''))];
  const options: HtmlValue = groups.map((group) => {
    const inGroup = spec.options.filter((o) => (o.group ?? '') === group).map(option);
    return group ? html`<optgroup label="${group}">${inGroup}</optgroup>` : inGroup;
  });
  return html`<div class="field">
    ${labelFor(id, spec.label, spec.hint)}
    <select
      id="${id}"
      name="${spec.name}"
      ${attrIf(spec.required === true, 'required')}${describedBy(id, messages, spec.hint)}
    >
      ${spec.blank !== undefined ? html`<option value="">${spec.blank}</option>` : ''}${options}
    </select>
    ${errorNote(id, messages)}
  </div>`;
}

export function csrfField(signedIn: SignedIn): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${signedIn.session.csrfToken}" />`;
}

/** A form that writes: POST with the session's CSRF token. */
export function postForm(
  signedIn: SignedIn,
  action: string,
  content: HtmlValue,
  options: { id?: string; className?: string; label?: string } = {},
): Html {
  return html`<form
    method="post"
    action="${action}"
    ${options.id ? html` id="${options.id}"` : ''}
    class="${options.className ?? 'form'}"
    ${options.label ? html` aria-label="${options.label}"` : ''}
  >
    ${csrfField(signedIn)}${content}
  </form>`;
}

/** A one-button write (retry, check, delete …) with hidden fields. */
export function actionButton(
  signedIn: SignedIn,
  action: string,
  label: string,
  options: { hidden?: Record<string, string>; danger?: boolean; title?: string } = {},
): Html {
  const hidden = Object.entries(options.hidden ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return postForm(
    signedIn,
    action,
    html`${hidden}<button
        type="submit"
        class="${options.danger ? 'danger' : 'secondary'}"
        ${options.title ? html` title="${options.title}"` : ''}
      >
        ${label}
      </button>`,
    { className: 'inline-form' },
  );
}
