import type { Router } from 'express';
import type { ApiAnswer } from '../api-client';
import type { AlertItem, OperationItem, PoolItem, SavingsReport } from '../../admin-api/shapes';
import { formatDate, formatMoney, formatTime, startOfMonth } from '../format';
import { html, type Html } from '../html';
import { statusBadge, unavailable } from '../layout';
import { itemsOr, sendPage, whyUnavailable, type PageKit } from '../page-kit';
import { signedInOf } from '../session';
import { SoftwareNames } from '../software-names';

function alertsPanel(answer: ApiAnswer<{ items: AlertItem[] }>): Html {
  const alerts = itemsOr(answer);
  if (!alerts) return unavailable('Alerts', whyUnavailable(answer));
  if (alerts.length === 0) return html`<p class="muted">No open alerts.</p>`;
  return html`<ul class="alerts">
    ${alerts.map(
      (a) =>
        html`<li class="alert alert-${a.severity}">
          <span class="badge badge-${a.severity}">${a.severity}</span> <strong>${a.kind}</strong> — ${a.message}
          <small class="muted">since ${formatTime(a.openedAt)}</small>
        </li>`,
    )}
  </ul>`;
}

function poolPanel(answer: ApiAnswer<{ items: PoolItem[] }>, names: SoftwareNames): Html {
  const pool = itemsOr(answer);
  if (!pool) return unavailable('The pool', whyUnavailable(answer));
  if (pool.length === 0) return html`<p class="muted">The pool is empty.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Licensing server</th>
        <th scope="col">Software</th>
        <th scope="col" class="num">Pooled</th>
        <th scope="col" class="num">Ready to reuse</th>
        <th scope="col">Soonest expiry</th>
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
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function moneyPanel(answer: ApiAnswer<SavingsReport>): Html {
  if (answer.status !== 200 || !answer.body) return unavailable('The savings report', whyUnavailable(answer));
  const report = answer.body;
  const costs = [report.orders.cost, report.renewals.cost].filter((c): c is number => c !== null);
  const spent = costs.length > 0 ? costs.reduce((a, b) => a + b, 0) : null;
  return html`<dl class="figures">
    <div>
      <dt>Spent</dt>
      <dd>${formatMoney(spent, report.currency)}</dd>
      <small>${report.orders.count} orders, ${report.renewals.count} renewals</small>
    </div>
    <div>
      <dt>Saved by reuse</dt>
      <dd>${formatMoney(report.reuses.costAvoided, report.currency)}</dd>
      <small>${report.reuses.count} licenses reused from the pool</small>
    </div>
    ${
      report.unpriced > 0
        ? html`<div>
            <dt>Unpriced</dt>
            <dd>${report.unpriced}</dd>
            <small>events without a price</small>
          </div>`
        : ''
    }
  </dl>`;
}

function failedPanel(answer: ApiAnswer<{ items: OperationItem[] }>): Html {
  const failed = itemsOr(answer);
  if (!failed) return unavailable('Operations', whyUnavailable(answer));
  if (failed.length === 0) return html`<p class="muted">No failed operations.</p>`;
  return html`<table>
      <thead>
        <tr>
          <th scope="col">Operation</th>
          <th scope="col">Event</th>
          <th scope="col">Service</th>
          <th scope="col">Status</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        ${failed.map(
          (op) =>
            html`<tr>
              <td><code>${op.id}</code></td>
              <td>${op.event}</td>
              <td>${op.serviceId ?? '—'}</td>
              <td>${statusBadge(op.status)}</td>
              <td>${op.error ? html`<code>${op.error.code}</code> ${op.error.message}` : '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p><a href="/console/operations?status=failed">All failed operations</a></p>`;
}

export function overviewPages(router: Router, kit: PageKit): void {
  router.get('/', async (_req, res) => {
    const signedIn = signedInOf(res);
    const now = new Date();
    const [alerts, pool, savings, failed, names, flash] = await Promise.all([
      signedIn.api.get<{ items: AlertItem[] }>('/v1/admin/alerts', { state: 'open' }),
      signedIn.api.get<{ items: PoolItem[] }>('/v1/admin/pool'),
      signedIn.api.get<SavingsReport>('/v1/admin/reports/savings', { from: startOfMonth(now), to: now.toISOString() }),
      signedIn.api.get<{ items: OperationItem[] }>('/v1/admin/operations', { status: 'failed', limit: '20' }),
      SoftwareNames.load(signedIn.api),
      kit.sessions.takeFlash(signedIn),
    ]);
    sendPage(res, {
      title: 'Overview',
      section: 'overview',
      signedIn,
      flash,
      body: html`<div class="grid">
          <section aria-labelledby="h-alerts" class="panel" id="alerts">
            <h2 id="h-alerts">Open alerts</h2>
            ${alertsPanel(alerts)}
          </section>
          <section aria-labelledby="h-money" class="panel" id="money">
            <h2 id="h-money">This month</h2>
            ${moneyPanel(savings)}
          </section>
        </div>
        <section aria-labelledby="h-failed" class="panel" id="failed">
          <h2 id="h-failed">Operations that need a person</h2>
          ${failedPanel(failed)}
        </section>
        <section aria-labelledby="h-pool" class="panel" id="pool">
          <h2 id="h-pool">The pool</h2>
          ${poolPanel(pool, names)}
        </section>`,
    });
  });
}
