import type { Router } from 'express';
import { seg } from '../api-client';
import type { OperationItem } from '../../admin-api/shapes';
import { actionButton } from '../controls';
import { FormErrors } from '../form-errors';
import { formatTime } from '../format';
import { html, type Html } from '../html';
import { statusBadge } from '../layout';
import { formText, param, queryText, redirectWithNotice, sendPage, succeeded, type PageKit } from '../page-kit';
import { signedInOf, type SignedIn } from '../session';

const STATUSES = ['failed', 'waiting', 'queued', 'running', 'succeeded'];

function tabs(current: string): Html {
  const tab = (value: string, label: string) =>
    html`<li>
      <a
        href="/console/operations${value ? `?status=${value}` : ''}"
        ${current === value ? html` aria-current="page"` : ''}
        >${label}</a
      >
    </li>`;
  return html`<nav class="tabs" aria-label="By status">
    <ul>
      ${tab('', 'All')}${STATUSES.map((s) => tab(s, s))}
    </ul>
  </nav>`;
}

/** Why an operation is where it is: its error, and when it may run again. */
function why(op: OperationItem): Html {
  const parts: Html[] = [];
  if (op.error) parts.push(html`<code>${op.error.code}</code> ${op.error.message}`);
  if (op.status === 'waiting' && op.notBefore)
    parts.push(html`<br /><small>not before ${formatTime(op.notBefore)}</small>`);
  if (op.status === 'succeeded' && op.result)
    parts.push(html`license <code>${op.result.licenseId ?? '—'}</code> (${op.result.source})`);
  return parts.length > 0 ? html`${parts}` : html`—`;
}

function table(signedIn: SignedIn, ops: OperationItem[], status: string): Html {
  if (ops.length === 0) return html`<p class="muted">No operation${status ? html` is ${status}` : ''}.</p>`;
  return html`<table class="operations">
    <thead>
      <tr>
        <th scope="col">Operation</th>
        <th scope="col">Event</th>
        <th scope="col">Service</th>
        <th scope="col">Status</th>
        <th scope="col" class="num">Attempts</th>
        <th scope="col">Updated</th>
        <th scope="col">Why</th>
        ${signedIn.canWrite ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : ''}
      </tr>
    </thead>
    <tbody>
      ${ops.map(
        (op) =>
          html`<tr id="op-${op.id}">
            <td><code>${op.id}</code></td>
            <td>${op.event}</td>
            <td>${op.serviceId ?? '—'}</td>
            <td>${statusBadge(op.status)}</td>
            <td class="num">${op.attempts}</td>
            <td>${formatTime(op.updatedAt)}</td>
            <td>${why(op)}</td>
            ${
              signedIn.canWrite
                ? html`<td>
                    ${
                      op.status === 'failed' || op.status === 'waiting'
                        ? actionButton(signedIn, `/console/operations/${encodeURIComponent(op.id)}/retry`, 'Retry', {
                            hidden: { status },
                            title: `Retry operation ${op.id}`,
                          })
                        : ''
                    }
                  </td>`
                : ''
            }
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function operationPages(router: Router, kit: PageKit): void {
  router.get('/operations', async (req, res) => {
    const signedIn = signedInOf(res);
    const status = STATUSES.includes(queryText(req, 'status')) ? queryText(req, 'status') : '';
    const [answer, flash] = await Promise.all([
      signedIn.api.get<{ items: OperationItem[] }>('/v1/admin/operations', {
        status: status || undefined,
        limit: '100',
      }),
      kit.sessions.takeFlash(signedIn),
    ]);
    const errors = answer.status === 200 ? FormErrors.none() : FormErrors.fromApi(answer.body, [], answer.status);
    sendPage(res, {
      title: 'Operations',
      section: 'operations',
      signedIn,
      flash,
      errors,
      body: html`${tabs(status)}${answer.status === 200 ? table(signedIn, answer.body.items, status) : ''}`,
    });
  });

  router.post('/operations/:id/retry', async (req, res) => {
    const signedIn = signedInOf(res);
    const id = param(req, 'id');
    const status = STATUSES.includes(formText(req, 'status')) ? formText(req, 'status') : '';
    const back = `/console/operations${status ? `?status=${status}` : ''}`;
    const answer = await signedIn.api.call('POST', `/v1/admin/operations/${seg(id)}/retry`);
    const message = succeeded(answer)
      ? `Operation ${id} queued again.`
      : `Operation ${id} was not retried: ${FormErrors.fromApi(answer.body, [], answer.status).general.join(' ')}`;
    await redirectWithNotice(kit, signedIn, res, back, { kind: succeeded(answer) ? 'notice' : 'error', text: message });
  });
}
