import type { Request, Response, Router } from 'express';
import { seg } from '../api-client';
import type { DriftItem, LicensingServerItem, PoolItem } from '../../admin-api/shapes';
import { actionButton, postForm, selectField, textField } from '../controls';
import { FormErrors } from '../form-errors';
import { formatDate, formatTime, parsePeriodInput } from '../format';
import { html, type Html } from '../html';
import { unavailable } from '../layout';
import { formText, itemsOr, redirectWithNotice, sendPage, succeeded, whyUnavailable, type PageKit } from '../page-kit';
import { signedInOf, type SignedIn } from '../session';
import { SoftwareNames } from '../software-names';

const ORDER_FIELDS = ['licensingServer', 'priceList', 'period', 'count'];

function poolTable(pool: PoolItem[], names: SoftwareNames): Html {
  if (pool.length === 0) return html`<p class="muted">The pool is empty.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Licensing server</th>
        <th scope="col">Software</th>
        <th scope="col" class="num">Pooled</th>
        <th scope="col" class="num">Ready to reuse</th>
        <th scope="col">Soonest expiry</th>
        <th scope="col">Licenses</th>
      </tr>
    </thead>
    <tbody>
      ${pool.map(
        (p) =>
          html`<tr>
            <td>${p.licensingServer}</td>
            <td>${names.label(p.priceList)}</td>
            <td class="num">${p.pooled}</td>
            <td class="num">${p.eligible}</td>
            <td>${formatDate(p.soonestExpiry)}</td>
            <td><a href="/console/licenses?pooled=true&amp;priceList=${encodeURIComponent(p.priceList)}">list</a></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function orderForm(
  signedIn: SignedIn,
  servers: LicensingServerItem[],
  names: SoftwareNames,
  errors: FormErrors,
  values: Record<string, string>,
): Html {
  return postForm(
    signedIn,
    '/console/pool/orders',
    html`${selectField({ form: 'order', name: 'licensingServer', label: 'Licensing server', value: values.licensingServer, options: servers.map((s) => ({ value: s.key, label: s.key })), errors, required: true })}
      ${selectField({ form: 'order', name: 'priceList', label: 'Software', value: values.priceList, options: names.options(), errors, required: true })}
      ${textField({ form: 'order', name: 'period', label: 'Period', value: values.period ?? '12', errors, required: true, hint: 'months, or lifetime' })}
      ${textField({ form: 'order', name: 'count', label: 'How many', value: values.count ?? '1', type: 'number', errors, required: true })}
      <div class="actions"><button type="submit">Order into the pool</button></div>`,
    { id: 'order', label: 'Order ahead' },
  );
}

function driftTable(
  signedIn: SignedIn,
  answer: { status: number; body: { items?: DriftItem[]; checkedAt?: Record<string, string> } },
  servers: LicensingServerItem[],
): Html {
  const items = itemsOr(answer);
  if (!items) return unavailable('Drift', whyUnavailable(answer));
  const checked = answer.body.checkedAt ?? {};
  const perServer = servers.map(
    (s) =>
      html`<li>
        ${s.key}: last checked ${formatTime(checked[s.key])}
        ${
          signedIn.canWrite
            ? actionButton(signedIn, '/console/pool/reconcile', 'Check now', {
                hidden: { licensingServer: s.key },
                title: `Reconcile ${s.key} now`,
              })
            : ''
        }${
          signedIn.canWrite && items.some((i) => i.licensingServer === s.key && i.kind === 'unknown_upstream')
            ? actionButton(signedIn, '/console/pool/adopt', 'Adopt all unknown', {
                hidden: { licensingServer: s.key, all: 'true' },
              })
            : ''
        }
      </li>`,
  );
  return html`<ul class="plain">
      ${perServer}
    </ul>
    ${
      items.length === 0
        ? html`<p class="muted">No drift: what the service holds matches the licensing servers.</p>`
        : html`<table>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Server</th>
                <th scope="col">Upstream</th>
                <th scope="col">License</th>
                <th scope="col">Field</th>
                <th scope="col">Ours</th>
                <th scope="col">Upstream's</th>
                <th scope="col">Since</th>
                ${signedIn.canWrite ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : ''}
              </tr>
            </thead>
            <tbody>
              ${items.map(
                (d) =>
                  html`<tr>
                    <td>${d.kind}</td>
                    <td>${d.licensingServer}</td>
                    <td>${d.upstreamId ?? '—'}</td>
                    <td>
                      ${d.licenseId ? html`<a href="/console/licenses/${encodeURIComponent(d.licenseId)}">${d.licenseId}</a>` : '—'}
                    </td>
                    <td>${d.field ?? '—'}</td>
                    <td>${d.local === null || d.local === undefined ? '—' : String(d.local)}</td>
                    <td>${d.upstream === null || d.upstream === undefined ? '—' : String(d.upstream)}</td>
                    <td>${formatTime(d.detectedAt)}</td>
                    ${signedIn.canWrite ? html`<td>${d.kind === 'unknown_upstream' && d.upstreamId ? actionButton(signedIn, '/console/pool/adopt', 'Adopt', { hidden: { licensingServer: d.licensingServer, upstreamId: d.upstreamId } }) : ''}</td>` : ''}
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

async function showPool(
  kit: PageKit,
  res: Response,
  errors = FormErrors.none(),
  values: Record<string, string> = {},
  status = 200,
): Promise<void> {
  const signedIn = signedInOf(res);
  const [pool, drift, servers, names, flash] = await Promise.all([
    signedIn.api.get<{ items: PoolItem[] }>('/v1/admin/pool'),
    signedIn.api.get<{ items: DriftItem[]; checkedAt: Record<string, string> }>('/v1/admin/drift'),
    signedIn.api.get<{ items: LicensingServerItem[] }>('/v1/admin/licensing-servers'),
    SoftwareNames.load(signedIn.api),
    kit.sessions.takeFlash(signedIn),
  ]);
  const poolItems = itemsOr(pool);
  const serverItems = itemsOr(servers) ?? [];
  sendPage(
    res,
    {
      title: 'Pool',
      section: 'pool',
      signedIn,
      flash,
      errors,
      body: html`<section class="panel" aria-labelledby="h-pool">
          <h2 id="h-pool">Per price list</h2>
          ${poolItems ? poolTable(poolItems, names) : unavailable('The pool', whyUnavailable(pool))}
        </section>
        ${
          signedIn.canWrite
            ? html`<section class="panel" aria-labelledby="h-order">
                <h2 id="h-order">Order ahead</h2>
                ${orderForm(signedIn, serverItems, names, errors, values)}
              </section>`
            : ''
        }
        <section class="panel" aria-labelledby="h-drift">
          <h2 id="h-drift">Drift</h2>
          ${driftTable(signedIn, drift, serverItems)}
        </section>`,
    },
    status,
  );
}

function fieldsOf(req: Request, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, formText(req, name)]));
}

export function poolPages(router: Router, kit: PageKit): void {
  router.get('/pool', async (_req, res) => showPool(kit, res));

  router.post('/pool/orders', async (req, res) => {
    const signedIn = signedInOf(res);
    const values = fieldsOf(req, ORDER_FIELDS);
    const body = {
      licensingServer: values.licensingServer,
      priceList: values.priceList,
      period: parsePeriodInput(values.period ?? ''),
      count: /^\d+$/.test(values.count ?? '') ? Number(values.count) : values.count,
    };
    const answer = await signedIn.api.call<{ operationIds: string[] }>('POST', '/v1/admin/pool/orders', body);
    if (succeeded(answer)) {
      const ids = answer.body.operationIds;
      await redirectWithNotice(kit, signedIn, res, '/console/pool', {
        kind: 'notice',
        text: `Ordering ${ids.length} license(s) into the pool: operation ${ids.join(', ')}.`,
      });
      return;
    }
    await showPool(kit, res, FormErrors.fromApi(answer.body, ORDER_FIELDS, answer.status), values, answer.status);
  });

  router.post('/pool/adopt', async (req, res) => {
    const signedIn = signedInOf(res);
    const licensingServer = formText(req, 'licensingServer');
    const upstreamId = formText(req, 'upstreamId');
    const body =
      formText(req, 'all') === 'true' ? { licensingServer, all: true } : { licensingServer, upstreamIds: [upstreamId] };
    const answer = await signedIn.api.call<{ operationIds: string[] }>('POST', '/v1/admin/licenses/adopt', body);
    const text = succeeded(answer)
      ? `Adopting ${answer.body.operationIds.length} license(s): operation ${answer.body.operationIds.join(', ')}.`
      : `Not adopted: ${FormErrors.fromApi(answer.body, [], answer.status).general.join(' ')}`;
    await redirectWithNotice(kit, signedIn, res, '/console/pool', {
      kind: succeeded(answer) ? 'notice' : 'error',
      text,
    });
  });

  router.post('/pool/reconcile', async (req, res) => {
    const signedIn = signedInOf(res);
    const server = formText(req, 'licensingServer');
    const answer = await signedIn.api.call('POST', `/v1/admin/licensing-servers/${seg(server)}/reconcile`);
    const text = succeeded(answer)
      ? `Checking ${server} against its license list; reload in a moment.`
      : `Not checked: ${FormErrors.fromApi(answer.body, [], answer.status).general.join(' ')}`;
    await redirectWithNotice(kit, signedIn, res, '/console/pool', {
      kind: succeeded(answer) ? 'notice' : 'error',
      text,
    });
  });
}
