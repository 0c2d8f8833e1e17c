import { actionButton, postForm, selectField, textArea, textField } from '../controls';
import { formatPeriod } from '../format';
import { html, type Html } from '../html';
import type { SignedIn } from '../session';
import { ruleNumber, stateFor, type CatalogData, type FormState } from './catalog-data';

const enc = encodeURIComponent;

function managed(entry: { managedBy: string }): Html {
  return entry.managedBy === 'config'
    ? html`<span class="badge" title="declared in the configuration file">config</span>`
    : html``;
}

/** Edit and delete for entries made through the API; a config-declared one can only be read here. */
function rowActions(
  signedIn: SignedIn,
  entry: { managedBy: string },
  editHref: string,
  deleteAction: string,
  name: string,
): Html {
  if (!signedIn.canWrite || entry.managedBy === 'config') return html``;
  return html`<a href="${editHref}" class="button secondary">Edit</a
    >${actionButton(signedIn, deleteAction, 'Delete', { danger: true, title: `Delete ${name}` })}`;
}

export function serversSection(signedIn: SignedIn, data: CatalogData, state: FormState): Html {
  const { values, errors } = stateFor(state, 'server');
  const rows = data.servers.map(
    (s) =>
      html`<tr>
        <td><code>${s.key}</code> ${managed(s)}</td>
        <td>${s.module}</td>
        <td>${s.url}</td>
        <td>${s.username}</td>
        <td>
          ${signedIn.canWrite ? html`${actionButton(signedIn, `/console/catalog/licensing-servers/${enc(s.key)}/check`, 'Check connection', { title: `Check the connection to ${s.key}` })}${rowActions(signedIn, s, `/console/catalog?edit=server:${enc(s.key)}#server`, `/console/catalog/licensing-servers/${enc(s.key)}/delete`, s.key)}` : ''}
        </td>
      </tr>`,
  );
  const form = postForm(
    signedIn,
    '/console/catalog/licensing-servers',
    html`${textField({ form: 'server', name: 'key', label: 'Key', value: values.key, errors, required: true })}
      ${selectField({ form: 'server', name: 'module', label: 'Module', value: values.module ?? 'billmanager', options: [{ value: 'billmanager', label: 'billmanager' }], errors })}
      ${textField({ form: 'server', name: 'url', label: 'URL', value: values.url, errors, required: true, placeholder: 'https://my.ispsystem.com/billmgr' })}
      ${textField({ form: 'server', name: 'username', label: 'Username', value: values.username, errors, required: true })}
      ${textField({ form: 'server', name: 'password', label: 'Password', type: 'password', errors, required: true, hint: 'stored encrypted, never shown: type it again to save' })}
      ${textArea({ form: 'server', name: 'settings', label: 'Settings (JSON)', value: values.settings ?? '{}', errors, rows: 3 })}
      ${textArea({ form: 'server', name: 'prices', label: 'Prices (JSON, optional)', value: values.prices, errors, rows: 3, hint: '{"currency": "EUR", "3541": {"1": 10, "12": 100}}' })}
      <div class="actions"><button type="submit">Save licensing server</button></div>`,
    { id: 'server', label: 'Licensing server' },
  );
  return html`<section class="panel" aria-labelledby="h-servers">
    <h2 id="h-servers">Licensing servers</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Module</th>
          <th scope="col">URL</th>
          <th scope="col">Username</th>
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${signedIn.canWrite ? html`<details${state.form === 'server' ? html` open` : ''}><summary>Add or replace a licensing server</summary>${form}</details>` : ''}
  </section>`;
}

export function enumerationsSection(signedIn: SignedIn, data: CatalogData, state: FormState): Html {
  const { values, errors } = stateFor(state, 'enumeration');
  const rows = data.enumerations.map(
    (e) =>
      html`<tr>
        <td><code>${e.key}</code> ${managed(e)}</td>
        <td>${e.name}</td>
        <td>
          <ul class="plain">
            ${e.values.map((v) => html`<li><code>${v.key}</code> ${v.name} → ${v.internalName}${v.periods ? html` <small class="muted">(${v.periods.map(formatPeriod).join(', ')})</small>` : ''}</li>`)}
          </ul>
        </td>
        <td>
          ${rowActions(signedIn, e, `/console/catalog?edit=enumeration:${enc(e.key)}#enumeration`, `/console/catalog/enumerations/${enc(e.key)}/delete`, e.key)}
        </td>
      </tr>`,
  );
  const form = postForm(
    signedIn,
    '/console/catalog/enumerations',
    html`${textField({ form: 'enumeration', name: 'key', label: 'Key', value: values.key, errors, required: true })}
      ${textField({ form: 'enumeration', name: 'name', label: 'Name', value: values.name, errors, required: true })}
      ${textArea({ form: 'enumeration', name: 'values', label: 'Values, one per line', value: values.values, errors, rows: 4, required: true, hint: 'key | name | price list id or nopanel | periods (optional: 1, 12, lifetime)' })}
      <div class="actions"><button type="submit">Save enumeration</button></div>`,
    { id: 'enumeration', label: 'Enumeration' },
  );
  return html`<section class="panel" aria-labelledby="h-enumerations">
    <h2 id="h-enumerations">Enumerations</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Name</th>
          <th scope="col">Values → price list</th>
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${signedIn.canWrite ? html`<details${state.form === 'enumeration' ? html` open` : ''}><summary>Add or replace an enumeration</summary>${form}</details>` : ''}
  </section>`;
}

export function plansSection(signedIn: SignedIn, data: CatalogData, state: FormState): Html {
  const { values, errors } = stateFor(state, 'plan');
  const rows = data.plans.map(
    (p) =>
      html`<tr>
        <td><code>${p.key}</code> ${managed(p)}</td>
        <td>${p.name}</td>
        <td>${p.productType}</td>
        <td>${p.licensingServer}</td>
        <td>${p.enumeration}</td>
        <td>${p.defaultValue}</td>
        <td>
          ${rowActions(signedIn, p, `/console/catalog?edit=plan:${enc(p.key)}#plan`, `/console/catalog/tariff-plans/${enc(p.key)}/delete`, p.key)}
        </td>
      </tr>`,
  );
  const valueOptions = data.enumerations.flatMap((e) =>
    e.values.map((v) => ({ value: v.key, label: `${v.name} (${v.key})`, group: e.name })),
  );
  const form = postForm(
    signedIn,
    '/console/catalog/tariff-plans',
    html`${textField({ form: 'plan', name: 'key', label: 'Key', value: values.key, errors, required: true })}
      ${textField({ form: 'plan', name: 'name', label: 'Name', value: values.name, errors, required: true })}
      ${textField({ form: 'plan', name: 'productType', label: 'Product type', value: values.productType ?? 'vds', errors, required: true })}
      ${selectField({ form: 'plan', name: 'licensingServer', label: 'Licensing server', value: values.licensingServer, options: data.servers.map((s) => ({ value: s.key, label: s.key })), errors, required: true })}
      ${selectField({ form: 'plan', name: 'enumeration', label: 'Enumeration', value: values.enumeration, options: data.enumerations.map((e) => ({ value: e.key, label: e.name })), errors, required: true })}
      ${selectField({ form: 'plan', name: 'defaultValue', label: 'Default value', value: values.defaultValue, options: valueOptions, errors, required: true })}
      <div class="actions"><button type="submit">Save tariff plan</button></div>`,
    { id: 'plan', label: 'Tariff plan' },
  );
  return html`<section class="panel" aria-labelledby="h-plans">
    <h2 id="h-plans">Tariff plans</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Name</th>
          <th scope="col">Product</th>
          <th scope="col">Server</th>
          <th scope="col">Enumeration</th>
          <th scope="col">Default</th>
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${signedIn.canWrite ? html`<details${state.form === 'plan' ? html` open` : ''}><summary>Add or replace a tariff plan</summary>${form}</details>` : ''}
  </section>`;
}

export function rulesSection(signedIn: SignedIn, data: CatalogData, state: FormState): Html {
  const { values, errors } = stateFor(state, 'rule');
  const rows = data.rules.map(
    (r) =>
      html`<tr>
        <td>${ruleNumber(data.rules, r.id)} ${managed(r)}</td>
        <td>${r.licensingServer}</td>
        <td>${r.tariffPlan ?? 'any'}</td>
        <td>${r.productType ?? 'any'}</td>
        <td>${formatPeriod(r.sourcePeriod)}</td>
        <td>${formatPeriod(r.targetPeriod)}</td>
        <td>
          ${signedIn.canWrite && r.managedBy !== 'config' ? actionButton(signedIn, `/console/catalog/period-comparisons/${enc(r.id)}/delete`, 'Delete', { danger: true, title: `Delete rule ${ruleNumber(data.rules, r.id)}` }) : ''}
        </td>
      </tr>`,
  );
  const form = postForm(
    signedIn,
    '/console/catalog/period-comparisons',
    html`${selectField({ form: 'rule', name: 'licensingServer', label: 'Licensing server', value: values.licensingServer, options: data.servers.map((s) => ({ value: s.key, label: s.key })), errors, required: true })}
      ${selectField({ form: 'rule', name: 'tariffPlan', label: 'Tariff plan', value: values.tariffPlan, options: data.plans.map((p) => ({ value: p.key, label: p.name })), blank: 'any plan', errors })}
      ${textField({ form: 'rule', name: 'productType', label: 'Product type', value: values.productType, errors, placeholder: 'any' })}
      ${textField({ form: 'rule', name: 'sourcePeriod', label: 'Service period', value: values.sourcePeriod, errors, required: true, hint: 'months, or lifetime' })}
      ${textField({ form: 'rule', name: 'targetPeriod', label: 'License period', value: values.targetPeriod, errors, required: true, hint: 'months, or lifetime' })}
      <div class="actions"><button type="submit">Add rule</button></div>`,
    { id: 'rule', label: 'Period comparison' },
  );
  return html`<section class="panel" aria-labelledby="h-rules">
    <h2 id="h-rules">Period comparisons</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Rule</th>
          <th scope="col">Server</th>
          <th scope="col">Plan</th>
          <th scope="col">Product</th>
          <th scope="col">Service period</th>
          <th scope="col">License period</th>
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${signedIn.canWrite ? html`<details${state.form === 'rule' ? html` open` : ''}><summary>Add a rule</summary>${form}</details>` : ''}
  </section>`;
}
