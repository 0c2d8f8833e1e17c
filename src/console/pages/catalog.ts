import type { Request, Response, Router } from 'express';
import { seg, type ApiAnswer } from '../api-client';
import { FormErrors } from '../form-errors';
import { parsePeriodInput } from '../format';
import { html } from '../html';
import { formText, param, queryText, redirectWithNotice, sendPage, succeeded, type PageKit } from '../page-kit';
import { signedInOf, type SignedIn } from '../session';
import {
  linesToValues,
  loadCatalog,
  NO_FORM,
  valuesToLines,
  type CatalogData,
  type CatalogForm,
  type FormState,
} from './catalog-data';
import { previewQueryOf, previewResultHtml, previewSection, resolvePreview } from './catalog-preview';
import { enumerationsSection, plansSection, rulesSection, serversSection } from './catalog-sections';

const FIELDS: Record<CatalogForm, string[]> = {
  server: ['key', 'module', 'url', 'username', 'password', 'settings', 'prices'],
  enumeration: ['key', 'name', 'values'],
  plan: ['key', 'name', 'productType', 'licensingServer', 'enumeration', 'defaultValue'],
  rule: ['licensingServer', 'tariffPlan', 'productType', 'sourcePeriod', 'targetPeriod'],
};

/** "Edit" links fill the form with the entry: `?edit=server:isp`. */
function editState(data: CatalogData, edit: string): FormState {
  const [kind, ...rest] = edit.split(':');
  const key = rest.join(':');
  const server = kind === 'server' ? data.servers.find((s) => s.key === key) : undefined;
  if (server) {
    const { key: k, module, url, username, settings, prices } = server;
    const values = {
      key: k,
      module,
      url,
      username,
      settings: JSON.stringify(settings),
      prices: prices ? JSON.stringify(prices) : '',
    };
    return { form: 'server', values, errors: FormErrors.none() };
  }
  const enumeration = kind === 'enumeration' ? data.enumerations.find((e) => e.key === key) : undefined;
  if (enumeration)
    return {
      form: 'enumeration',
      values: { key, name: enumeration.name, values: valuesToLines(enumeration) },
      errors: FormErrors.none(),
    };
  const plan = kind === 'plan' ? data.plans.find((p) => p.key === key) : undefined;
  if (plan) return { form: 'plan', values: { ...plan }, errors: FormErrors.none() };
  return NO_FORM;
}

async function showCatalog(kit: PageKit, req: Request, res: Response, state?: FormState, status = 200): Promise<void> {
  const signedIn = signedInOf(res);
  const [data, flash] = await Promise.all([loadCatalog(signedIn.api), kit.sessions.takeFlash(signedIn)]);
  const query = previewQueryOf(req);
  const preview = await resolvePreview(signedIn.api, data, query);
  const formState = state ?? editState(data, queryText(req, 'edit'));
  sendPage(
    res,
    {
      title: 'Catalog',
      section: 'catalog',
      signedIn,
      flash,
      errors: formState.errors,
      body: html`${serversSection(signedIn, data, formState)}${enumerationsSection(signedIn, data, formState)}
      ${plansSection(signedIn, data, formState)}${rulesSection(signedIn, data, formState)}${previewSection(data, query, preview)}`,
    },
    status,
  );
}

/** The form's values, or a FormErrors for a control whose text is not what the API takes (JSON). */
function jsonField(
  values: Record<string, string>,
  name: string,
  fallback: unknown,
): { value?: unknown; error?: FormErrors } {
  const text = values[name] ?? '';
  if (text === '') return { value: fallback };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return {
      error: FormErrors.fromApi(
        { error: { code: 'invalid_json', message: 'not valid JSON', details: { field: name } } },
        [name],
      ),
    };
  }
}

type Write = { method: string; path: string; body?: unknown } | { error: FormErrors };

function writeFor(form: CatalogForm, values: Record<string, string>): Write {
  const key = seg(values.key ?? '');
  if (form === 'server') {
    const settings = jsonField(values, 'settings', {});
    const prices = jsonField(values, 'prices', undefined);
    if (settings.error || prices.error) return { error: (settings.error ?? prices.error)! };
    const { module, url, username, password } = values;
    return {
      method: 'PUT',
      path: `/v1/admin/licensing-servers/${key}`,
      body: {
        module,
        url,
        username,
        password,
        settings: settings.value,
        ...(prices.value === undefined ? {} : { prices: prices.value }),
      },
    };
  }
  if (form === 'enumeration')
    return {
      method: 'PUT',
      path: `/v1/admin/enumerations/${key}`,
      body: { name: values.name, values: linesToValues(values.values ?? '') },
    };
  if (form === 'plan') {
    const { name, productType, licensingServer, enumeration, defaultValue } = values;
    return {
      method: 'PUT',
      path: `/v1/admin/tariff-plans/${key}`,
      body: { name, productType, licensingServer, enumeration, defaultValue },
    };
  }
  return {
    method: 'POST',
    path: '/v1/admin/period-comparisons',
    body: {
      licensingServer: values.licensingServer,
      sourcePeriod: parsePeriodInput(values.sourcePeriod ?? ''),
      targetPeriod: parsePeriodInput(values.targetPeriod ?? ''),
      tariffPlan: values.tariffPlan || null,
      productType: values.productType || null,
    },
  };
}

const SAVED: Record<CatalogForm, string> = {
  server: 'Licensing server',
  enumeration: 'Enumeration',
  plan: 'Tariff plan',
  rule: 'Rule',
};

async function flashAnswer(
  kit: PageKit,
  signedIn: SignedIn,
  res: Response,
  answer: ApiAnswer,
  done: string,
): Promise<void> {
  const ok = succeeded(answer);
  const text = ok ? done : FormErrors.fromApi(answer.body, [], answer.status).general.join(' ');
  await redirectWithNotice(kit, signedIn, res, '/console/catalog', { kind: ok ? 'notice' : 'error', text });
}

export function catalogPages(router: Router, kit: PageKit): void {
  router.get('/catalog', (req, res) => showCatalog(kit, req, res));

  router.get('/catalog/preview', async (req, res) => {
    const signedIn = signedInOf(res);
    const data = await loadCatalog(signedIn.api);
    const result = await resolvePreview(signedIn.api, data, previewQueryOf(req));
    res.type('html').set('Cache-Control', 'no-store').send(previewResultHtml(result).text);
  });

  const paths: Record<CatalogForm, string> = {
    server: 'licensing-servers',
    enumeration: 'enumerations',
    plan: 'tariff-plans',
    rule: 'period-comparisons',
  };
  for (const form of Object.keys(paths) as CatalogForm[]) {
    router.post(`/catalog/${paths[form]}`, async (req, res) => {
      const signedIn = signedInOf(res);
      const values = Object.fromEntries(FIELDS[form].map((name) => [name, formText(req, name)]));
      const write = writeFor(form, values);
      const { password: _password, ...kept } = values;
      if ('error' in write) {
        await showCatalog(kit, req, res, { form, values: kept, errors: write.error }, 400);
        return;
      }
      const answer = await signedIn.api.call(write.method, write.path, write.body);
      if (succeeded(answer)) {
        await redirectWithNotice(kit, signedIn, res, '/console/catalog', {
          kind: 'notice',
          text: `${SAVED[form]} saved.`,
        });
        return;
      }
      await showCatalog(
        kit,
        req,
        res,
        { form, values: kept, errors: FormErrors.fromApi(answer.body, FIELDS[form], answer.status) },
        answer.status,
      );
    });
    router.post(`/catalog/${paths[form]}/:key/delete`, async (req, res) => {
      const signedIn = signedInOf(res);
      const answer = await signedIn.api.call('DELETE', `/v1/admin/${paths[form]}/${seg(param(req, 'key'))}`);
      await flashAnswer(kit, signedIn, res, answer, `${SAVED[form]} ${param(req, 'key')} deleted.`);
    });
  }

  router.post('/catalog/licensing-servers/:key/check', async (req, res) => {
    const signedIn = signedInOf(res);
    const key = param(req, 'key');
    const answer = await signedIn.api.call<{ ok: boolean; error?: { message: string } }>(
      'POST',
      `/v1/admin/licensing-servers/${seg(key)}/check`,
    );
    if (succeeded(answer) && !answer.body.ok) {
      await redirectWithNotice(kit, signedIn, res, '/console/catalog', {
        kind: 'error',
        text: `${key} does not answer: ${answer.body.error?.message ?? 'no reason given'}`,
      });
      return;
    }
    await flashAnswer(kit, signedIn, res, answer, `${key} answers: the connection works.`);
  });
}
