import type { Response, Router } from 'express';
import { seg } from '../api-client';
import type { AuditItem, LicenseItem } from '../../admin-api/shapes';
import { actionButton, postForm, textField } from '../controls';
import { FormErrors } from '../form-errors';
import { formatDate, formatPeriod, formatTime, parsePeriodInput } from '../format';
import { html, type Html } from '../html';
import { statusBadge } from '../layout';
import { formText, param, redirectWithNotice, sendPage, succeeded, type PageKit } from '../page-kit';
import { signedInOf, type SignedIn } from '../session';
import { SoftwareNames } from '../software-names';

/** The manual actions of CONTRACT.md "Licenses by hand"; these two ask "are you sure?" first. */
const ACTIONS = ['renew', 'suspend', 'resume', 'regenerate-key', 'change-ip', 'delete'] as const;
const CONFIRMED_ACTIONS = new Set(['delete', 'regenerate-key']);
const ACTION_FIELDS = ['period', 'ip'];

function details(license: LicenseItem, names: SoftwareNames): Html {
  const row = (label: string, value: Html | string) =>
    html`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  return html`<dl class="details">
    ${row('ID', html`<code>${license.id}</code>`)}${row('Upstream ID', license.upstreamId ?? '—')}
    ${row('Name', license.name ?? '—')}${row('IP', license.ip ?? '—')}
    ${row('Software', names.label(license.priceList))}${row('Licensing server', license.licensingServer)}
    ${row('Period', formatPeriod(license.period))}${row('Expiry', formatDate(license.paidUntil))}
    ${row('Status', statusBadge(license.status))}
    ${row('Held by', license.serviceId ? html`service <code>${license.serviceId}</code>` : license.pooled ? 'the pool' : '—')}
    ${row('Source', license.source ?? '—')}${row('Activation key', license.activationKey ?? 'hidden')}
  </dl>`;
}

function auditTable(items: AuditItem[] | null): Html {
  if (!items) return html`<p class="muted">The audit trail is not available.</p>`;
  if (items.length === 0) return html`<p class="muted">Nothing recorded yet.</p>`;
  return html`<table class="audit">
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">Who</th>
        <th scope="col">What</th>
        <th scope="col">Operation</th>
        <th scope="col">Details</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (a) =>
          html`<tr>
            <td>${formatTime(a.at)}</td>
            <td>${a.actor}</td>
            <td><code>${a.action}</code></td>
            <td>${a.operationId ? html`<code>${a.operationId}</code>` : '—'}</td>
            <td><code class="json">${a.details ? JSON.stringify(a.details) : ''}</code></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function actionForms(
  signedIn: SignedIn,
  license: LicenseItem,
  errors: FormErrors,
  values: Record<string, string>,
): Html {
  const action = `/console/licenses/${encodeURIComponent(license.id)}/actions`;
  const hidden = (name: string) => html`<input type="hidden" name="action" value="${name}" />`;
  return html`<div class="action-forms">
    ${postForm(
      signedIn,
      action,
      html`${hidden('renew')}${textField({ form: 'renew', name: 'period', label: 'Renew for (months or lifetime; empty: its own period)', value: values.period, errors })}
        <div class="actions"><button type="submit">Renew</button></div>`,
      { id: 'renew', label: 'Renew' },
    )}
    ${postForm(
      signedIn,
      action,
      html`${hidden('change-ip')}${textField({ form: 'change-ip', name: 'ip', label: 'New IP', value: values.ip, errors, required: true })}
        <div class="actions"><button type="submit">Change IP</button></div>`,
      { id: 'change-ip', label: 'Change IP' },
    )}
    <div class="button-row">
      ${actionButton(signedIn, action, 'Suspend', { hidden: { action: 'suspend' } })}
      ${actionButton(signedIn, action, 'Resume', { hidden: { action: 'resume' } })}
      ${actionButton(signedIn, action, 'Regenerate key…', { hidden: { action: 'regenerate-key' } })}
      ${actionButton(signedIn, action, 'Delete…', { hidden: { action: 'delete' }, danger: true })}
    </div>
  </div>`;
}

async function showLicense(
  kit: PageKit,
  res: Response,
  id: string,
  errors = FormErrors.none(),
  values: Record<string, string> = {},
  status = 200,
): Promise<void> {
  const signedIn = signedInOf(res);
  const [list, audit, names, flash] = await Promise.all([
    signedIn.api.get<{ items: LicenseItem[] }>('/v1/admin/licenses', { id }),
    signedIn.api.get<{ items: AuditItem[] }>('/v1/admin/audit', { licenseId: id, limit: '100' }),
    SoftwareNames.load(signedIn.api),
    kit.sessions.takeFlash(signedIn),
  ]);
  const license = list.status === 200 ? list.body.items.find((l) => l.id === id) : undefined;
  if (!license) {
    sendPage(
      res,
      {
        title: 'License not found',
        section: 'licenses',
        signedIn,
        body: html`<p>No license <code>${id}</code>. <a href="/console/licenses">Back to the list</a></p>`,
      },
      404,
    );
    return;
  }
  sendPage(
    res,
    {
      title: `License ${license.name ?? license.id}`,
      section: 'licenses',
      signedIn,
      flash,
      errors,
      body: html`<p><a href="/console/licenses">← Licenses</a></p>
        <section class="panel" aria-labelledby="h-fields">
          <h2 id="h-fields">The license</h2>
          ${details(license, names)}
        </section>
        ${
          signedIn.canWrite
            ? html`<section class="panel" aria-labelledby="h-actions">
                <h2 id="h-actions">Act on it</h2>
                ${actionForms(signedIn, license, errors, values)}
              </section>`
            : ''
        }
        <section class="panel" aria-labelledby="h-audit">
          <h2 id="h-audit">Audit trail</h2>
          ${auditTable(audit.status === 200 ? audit.body.items : null)}
        </section>`,
    },
    status,
  );
}

function confirmation(signedIn: SignedIn, id: string, action: string): Html {
  const what =
    action === 'delete' ? 'Delete this license upstream' : 'Issue a new activation key (the old one stops working)';
  return html`<p>${what}: license <code>${id}</code>?</p>
    ${postForm(
      signedIn,
      `/console/licenses/${encodeURIComponent(id)}/actions`,
      html`<input type="hidden" name="action" value="${action}" /><input type="hidden" name="confirmed" value="yes" />
        <div class="actions">
          <button type="submit" class="danger">Yes, ${action}</button>
          <a class="button secondary" href="/console/licenses/${encodeURIComponent(id)}">Cancel</a>
        </div>`,
      { id: 'confirm', label: 'Confirm' },
    )}`;
}

export function licensePages(router: Router, kit: PageKit): void {
  router.get('/licenses/:id', async (req, res) => showLicense(kit, res, param(req, 'id')));

  router.post('/licenses/:id/actions', async (req, res) => {
    const signedIn = signedInOf(res);
    const id = param(req, 'id');
    const action = formText(req, 'action');
    if (!(ACTIONS as readonly string[]).includes(action)) {
      await showLicense(kit, res, id, FormErrors.general(`Unknown action "${action}".`), {}, 400);
      return;
    }
    if (CONFIRMED_ACTIONS.has(action) && formText(req, 'confirmed') !== 'yes') {
      sendPage(res, {
        title: 'Are you sure?',
        section: 'licenses',
        signedIn,
        body: confirmation(signedIn, id, action),
      });
      return;
    }
    const values = { period: formText(req, 'period'), ip: formText(req, 'ip') };
    const body: Record<string, unknown> = { action };
    if (action === 'renew' && values.period) body.period = parsePeriodInput(values.period);
    if (action === 'change-ip') body.ip = values.ip;
    const answer = await signedIn.api.call<{ operationId: string }>(
      'POST',
      `/v1/admin/licenses/${seg(id)}/actions`,
      body,
    );
    if (succeeded(answer)) {
      await redirectWithNotice(kit, signedIn, res, `/console/licenses/${encodeURIComponent(id)}`, {
        kind: 'notice',
        text: `${action} queued as operation ${answer.body.operationId}.`,
      });
      return;
    }
    await showLicense(
      kit,
      res,
      id,
      FormErrors.fromApi(answer.body, ACTION_FIELDS, answer.status),
      values,
      answer.status,
    );
  });
}
