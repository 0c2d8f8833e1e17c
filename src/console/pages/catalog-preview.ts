import type { Request } from 'express';
import type { ApiClient } from '../api-client';
import { selectField, textField } from '../controls';
import { FormErrors } from '../form-errors';
import { formatPeriod, periodAdjective } from '../format';
import { html, type Html } from '../html';
import { queryText } from '../page-kit';
import { ruleNumber, type CatalogData } from './catalog-data';

/** The preview's choices: licensing server, tariff plan, the service's period and an enumeration value. */
export interface PreviewQuery {
  licensingServer: string;
  tariffPlan: string;
  sourcePeriod: string;
  /** `<enumeration key>/<value key>`. */
  value: string;
}

export interface PreviewResult {
  text: string;
  ok: boolean;
}

export function previewQueryOf(req: Request): PreviewQuery {
  return {
    licensingServer: queryText(req, 'licensingServer'),
    tariffPlan: queryText(req, 'tariffPlan'),
    sourcePeriod: queryText(req, 'sourcePeriod'),
    value: queryText(req, 'value'),
  };
}

const PRODUCT_NAMES: Record<string, string> = { vds: 'VPS', vps: 'VPS', dedic: 'dedicated server' };

/** "A monthly VPS on plan “VPS monthly” with ISPmanager Lite gets a 12-month license, by rule #1." */
export async function resolvePreview(
  api: ApiClient,
  data: CatalogData,
  q: PreviewQuery,
): Promise<PreviewResult | null> {
  if (!q.sourcePeriod) return null;
  const [enumerationKey, valueKey] = q.value.split('/');
  const value = data.enumerations.find((e) => e.key === enumerationKey)?.values.find((v) => v.key === valueKey);
  const plan = data.plans.find((p) => p.key === q.tariffPlan);
  const source = /^\d+$/.test(q.sourcePeriod) ? Number(q.sourcePeriod) : q.sourcePeriod;
  const product = plan ? (PRODUCT_NAMES[plan.productType] ?? plan.productType) : 'service';
  const subject = `A ${periodAdjective(source)} ${product}${plan ? ` on plan “${plan.name}”` : ''}${value ? ` with ${value.name}` : ''}`;
  if (value?.internalName === 'nopanel')
    return { ok: true, text: `${subject} gets no license: that value orders none.` };
  const answer = await api.get<{ targetPeriod: number | string; rule: string | null; reason: string }>(
    '/v1/admin/period-comparisons/resolve',
    {
      licensingServer: q.licensingServer || undefined,
      tariffPlan: q.tariffPlan || undefined,
      sourcePeriod: q.sourcePeriod,
      priceList: value?.internalName,
    },
  );
  if (answer.status !== 200) {
    const errors = FormErrors.fromApi(answer.body, [], answer.status);
    return { ok: false, text: `No answer: ${errors.general.join(' ')}` };
  }
  const { targetPeriod, rule, reason } = answer.body;
  const license = typeof targetPeriod === 'number' ? `a ${targetPeriod}-month license` : `a ${targetPeriod} license`;
  const why =
    reason === 'rule'
      ? `by rule ${ruleNumber(data.rules, rule)}`
      : reason === 'same'
        ? 'of the same period: no rule applies'
        : `the shortest its price list can be ordered for: no rule applies and ${formatPeriod(source)} cannot be ordered`;
  return { ok: true, text: `${subject} gets ${license}, ${why}.` };
}

export function previewResultHtml(result: PreviewResult | null): Html {
  if (!result) return html`<span class="muted">Choose a period to see what the rules decide.</span>`;
  return html`<span class="${result.ok ? 'preview-ok' : 'field-error'}">${result.text}</span>`;
}

export function previewSection(data: CatalogData, q: PreviewQuery, result: PreviewResult | null): Html {
  const valueOptions = data.enumerations.flatMap((e) =>
    e.values.map((v) => ({ value: `${e.key}/${v.key}`, label: v.name, group: e.name })),
  );
  const none = FormErrors.none();
  return html`<section class="panel" aria-labelledby="h-preview">
    <h2 id="h-preview">What the rules decide</h2>
    <form
      method="get"
      action="/console/catalog#preview"
      class="form preview"
      id="preview"
      data-preview="/console/catalog/preview"
    >
      ${selectField({ form: 'preview', name: 'licensingServer', label: 'Licensing server', value: q.licensingServer, options: data.servers.map((s) => ({ value: s.key, label: s.key })), blank: 'the plan’s', errors: none })}
      ${selectField({ form: 'preview', name: 'tariffPlan', label: 'Tariff plan', value: q.tariffPlan, options: data.plans.map((p) => ({ value: p.key, label: p.name })), blank: 'none', errors: none })}
      ${textField({ form: 'preview', name: 'sourcePeriod', label: 'Service period', value: q.sourcePeriod, errors: none, hint: 'months, or lifetime' })}
      ${selectField({ form: 'preview', name: 'value', label: 'Enumeration value', value: q.value, options: valueOptions, blank: 'none', errors: none })}
      <div class="actions"><button type="submit">Show</button></div>
    </form>
    <p>
      <output
        id="preview-result"
        for="preview-licensingServer preview-tariffPlan preview-sourcePeriod preview-value"
        aria-live="polite"
        >${previewResultHtml(result)}</output
      >
    </p>
  </section>`;
}
