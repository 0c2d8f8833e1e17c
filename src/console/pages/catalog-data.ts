import type { ApiClient } from '../api-client';
import type {
  EnumerationItem,
  LicensingServerItem,
  PeriodComparisonItem,
  TariffPlanItem,
} from '../../admin-api/shapes';
import { FormErrors } from '../form-errors';
import { itemsOr } from '../page-kit';

/** Everything the catalog page shows, read through the API. */
export interface CatalogData {
  servers: LicensingServerItem[];
  enumerations: EnumerationItem[];
  plans: TariffPlanItem[];
  rules: PeriodComparisonItem[];
}

export async function loadCatalog(api: ApiClient): Promise<CatalogData> {
  const [servers, enumerations, plans, rules] = await Promise.all([
    api.get<{ items: LicensingServerItem[] }>('/v1/admin/licensing-servers'),
    api.get<{ items: EnumerationItem[] }>('/v1/admin/enumerations'),
    api.get<{ items: TariffPlanItem[] }>('/v1/admin/tariff-plans'),
    api.get<{ items: PeriodComparisonItem[] }>('/v1/admin/period-comparisons'),
  ]);
  return {
    servers: itemsOr(servers) ?? [],
    enumerations: itemsOr(enumerations) ?? [],
    plans: itemsOr(plans) ?? [],
    rules: itemsOr(rules) ?? [],
  };
}

export type CatalogForm = 'server' | 'enumeration' | 'plan' | 'rule';

/** A form sent back with its values and the API's errors, or the form an "Edit" link filled in. */
export interface FormState {
  form: CatalogForm | null;
  values: Record<string, string>;
  errors: FormErrors;
}

export const NO_FORM: FormState = { form: null, values: {}, errors: FormErrors.none() };

/** The state a form renders with: its own when it is the one sent or edited, else empty. */
export function stateFor(state: FormState, form: CatalogForm): { values: Record<string, string>; errors: FormErrors } {
  return state.form === form ? state : { values: {}, errors: FormErrors.none() };
}

/** The position of a rule in the list, as "#N" (rule ids are UUIDs: too long to read). */
export function ruleNumber(rules: readonly PeriodComparisonItem[], id: string | null): string {
  const index = rules.findIndex((r) => r.id === id);
  return index >= 0 ? `#${index + 1}` : (id ?? '');
}

/** An enumeration's values as the form's lines: `key | name | internalName | periods`. */
export function valuesToLines(enumeration: EnumerationItem): string {
  return enumeration.values
    .map((v) => [v.key, v.name, v.internalName, ...(v.periods ? [v.periods.join(', ')] : [])].join(' | '))
    .join('\n');
}

/** The form's lines back to the API's values (the API validates them; errors name the line). */
export function linesToValues(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [key = '', name = '', internalName = '', periods] = line.split('|').map((part) => part.trim());
      const value: Record<string, unknown> = { key, name, internalName };
      if (periods)
        value.periods = periods
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '')
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      return value;
    });
}
