import type { Request, Router } from 'express';
import type { LicenseItem } from '../../admin-api/shapes';
import { selectField, textField } from '../controls';
import { FormErrors } from '../form-errors';
import { formatDate, formatPeriod } from '../format';
import { html, type Html } from '../html';
import { statusBadge } from '../layout';
import { queryText, sendPage, type PageKit } from '../page-kit';
import { signedInOf } from '../session';
import { SoftwareNames } from '../software-names';

/** The seed's filters (id, name, IP, software, period, expiry, status), named as the API names them. */
const FILTERS = ['id', 'name', 'ip', 'priceList', 'period', 'expiresAfter', 'expiresBefore', 'status', 'pooled'];
const STATUSES = ['ordered', 'active', 'suspended', 'processing', 'deleted', 'unknown'];
const PAGE_SIZE = '50';

type Filters = Record<string, string>;

function filtersOf(req: Request): Filters {
  return Object.fromEntries(FILTERS.map((name) => [name, queryText(req, name)]));
}

/** The API's query: dates of the form become times (the whole day counts). */
function apiQuery(filters: Filters, cursor: string): Record<string, string | undefined> {
  const { expiresAfter, expiresBefore, ...rest } = filters;
  const day = (d: string | undefined, time: string) => (d && /^\d{4}-\d\d-\d\d$/.test(d) ? `${d}T${time}Z` : d);
  return {
    ...rest,
    expiresAfter: day(expiresAfter, '00:00:00.000'),
    expiresBefore: day(expiresBefore, '23:59:59.999'),
    limit: PAGE_SIZE,
    cursor: cursor || undefined,
  };
}

function filterForm(filters: Filters, names: SoftwareNames, errors: FormErrors): Html {
  const text = (name: string, label: string, type: 'text' | 'date' = 'text') =>
    textField({ form: 'filter', name, label, value: filters[name], errors, type });
  return html`<form
    method="get"
    action="/console/licenses"
    class="form filters"
    id="filter"
    aria-label="Filter the list"
  >
    ${text('id', 'ID (ours or upstream)')}${text('name', 'Name')}${text('ip', 'IP')}
    ${selectField({ form: 'filter', name: 'priceList', label: 'Software', value: filters.priceList, options: names.options(), blank: 'any', errors })}
    ${textField({ form: 'filter', name: 'period', label: 'Period', value: filters.period, errors, placeholder: '12, lifetime' })}
    ${text('expiresAfter', 'Expires after', 'date')}${text('expiresBefore', 'Expires before', 'date')}
    ${selectField({ form: 'filter', name: 'status', label: 'Status', value: filters.status, options: STATUSES.map((s) => ({ value: s, label: s })), blank: 'any', errors })}
    ${selectField({
      form: 'filter',
      name: 'pooled',
      label: 'Where',
      value: filters.pooled,
      options: [
        { value: 'true', label: 'in the pool' },
        { value: 'false', label: 'not in the pool' },
      ],
      blank: 'anywhere',
      errors,
    })}
    <div class="actions">
      <button type="submit">Filter</button> <a href="/console/licenses" class="button secondary">Remove filter</a>
    </div>
  </form>`;
}

function licenseTable(items: LicenseItem[], names: SoftwareNames): Html {
  if (items.length === 0) return html`<p class="muted">No license matches.</p>`;
  return html`<table class="licenses">
    <thead>
      <tr>
        <th scope="col">ID</th>
        <th scope="col">Name</th>
        <th scope="col">IP</th>
        <th scope="col">Software</th>
        <th scope="col">Period</th>
        <th scope="col">Expiry</th>
        <th scope="col">Status</th>
        <th scope="col">Held by</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (l) =>
          html`<tr>
            <td>
              <a href="/console/licenses/${encodeURIComponent(l.id)}">${l.id}</a><br /><small class="muted"
                >upstream ${l.upstreamId ?? '—'}</small
              >
            </td>
            <td>${l.name ?? '—'}</td>
            <td>${l.ip ?? '—'}</td>
            <td>${names.label(l.priceList)}</td>
            <td>${formatPeriod(l.period)}</td>
            <td>${formatDate(l.paidUntil)}</td>
            <td>${statusBadge(l.status)}</td>
            <td>${l.serviceId ? html`service <code>${l.serviceId}</code>` : l.pooled ? 'the pool' : '—'}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function pager(filters: Filters, cursor: string, nextCursor: string | null): Html {
  const link = (c: string) => {
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
    if (c) params.set('cursor', c);
    return `/console/licenses${params.size > 0 ? `?${params}` : ''}`;
  };
  return html`<nav class="pager" aria-label="Pages">
    ${cursor ? html`<a href="${link('')}">First page</a>` : ''}
    ${nextCursor ? html`<a href="${link(nextCursor)}" rel="next">Next page</a>` : ''}
  </nav>`;
}

export function licenseListPages(router: Router, kit: PageKit): void {
  router.get('/licenses', async (req, res) => {
    const signedIn = signedInOf(res);
    const filters = filtersOf(req);
    const cursor = queryText(req, 'cursor');
    const [answer, names, flash] = await Promise.all([
      signedIn.api.get<{ items: LicenseItem[]; nextCursor: string | null }>(
        '/v1/admin/licenses',
        apiQuery(filters, cursor),
      ),
      SoftwareNames.load(signedIn.api),
      kit.sessions.takeFlash(signedIn),
    ]);
    const ok = answer.status === 200;
    const errors = ok ? FormErrors.none() : FormErrors.fromApi(answer.body, FILTERS, answer.status);
    sendPage(
      res,
      {
        title: 'Licenses',
        section: 'licenses',
        signedIn,
        flash,
        errors,
        body: html`${filterForm(filters, names, errors)}
        ${ok ? html`${licenseTable(answer.body.items, names)}${pager(filters, cursor, answer.body.nextCursor)}` : ''}`,
      },
      ok ? 200 : answer.status,
    );
  });
}
