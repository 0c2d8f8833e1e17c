import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { openFacts, SANDBOX_USER, startHarness, type Harness } from '../helpers/lifecycle';
import { TEST_ADMIN_TOKEN, TEST_PLATFORM_TOKEN, TEST_VIEWER_TOKEN } from '../helpers/service';
import { chromiumAvailable, launchChromium, reloadUntil, screenshot, screenshotDir } from './browser-helpers';

/** The provider console driven in Debian's chromium, against the service on the sandbox (issue 11). */
describe('the provider console in a browser', function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let shots: string;
  let base: string;
  let licenseId: string;
  let failedOperationId: string;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    h = await startHarness();
    base = `${h.service.url}/console`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    shots = screenshotDir();
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  async function signIn(target: Page, token: string): Promise<void> {
    await target.goto(`${base}/sign-in`);
    await target.getByLabel('Token').fill(token);
    await target.getByLabel('Token').press('Enter');
    await target.waitForLoadState();
  }

  it('signs in with an admin token, after refusing a platform token', async () => {
    await page.goto(base);
    assert.match(page.url(), /\/console\/sign-in\?next=%2Fconsole$/, 'a page without a session asks to sign in');
    await screenshot(page, shots, 'sign-in');

    await signIn(page, TEST_PLATFORM_TOKEN);
    assert.match(await page.locator('#sign-in-token-error').innerText(), /platform token: it may not read the console/);
    const [cookie] = await page.context().cookies();
    assert.equal(cookie, undefined, 'no session for a refused token');

    await signIn(page, TEST_ADMIN_TOKEN);
    assert.equal(new URL(page.url()).pathname, '/console');
    assert.equal(await page.locator('h1').innerText(), 'Overview');
    const [session] = await page.context().cookies();
    assert.equal(session!.name, 'plm_console');
    assert.equal(session!.httpOnly, true);
    assert.equal(session!.sameSite, 'Strict');
    assert.equal(session!.path, '/console');
    assert.ok(!session!.value.includes(TEST_ADMIN_TOKEN), 'the token is not in the cookie');
  });

  it('creates an enumeration, a tariff plan and a rule, and previews what the rules decide', async () => {
    await page.goto(`${base}/catalog`);
    const enumeration = page.locator('form#enumeration');
    await page.getByText('Add or replace an enumeration').click();
    await enumeration.getByLabel('Key').fill('extras');
    await enumeration.getByLabel('Name').fill('Extra panels');
    await enumeration.getByLabel('Values, one per line').fill('plesk | Plesk Web Admin | not-a-price-list');
    await enumeration.getByRole('button', { name: 'Save enumeration' }).click();
    assert.match(
      await page.locator('#enumeration-values-error').innerText(),
      /line 1, internalName: internalName is a price-list id/,
      "the API's error shows next to the field it names",
    );
    await page.locator('form#enumeration').getByLabel('Values, one per line').fill('plesk | Plesk Web Admin | 7001');
    await page.locator('form#enumeration').getByRole('button', { name: 'Save enumeration' }).click();
    assert.equal(await page.locator('.flash-notice').innerText(), 'Enumeration saved.');

    await page.getByText('Add or replace a tariff plan').click();
    const plan = page.locator('form#plan');
    await plan.getByLabel('Key').fill('vps-quarterly');
    await plan.getByLabel('Name').fill('VPS quarterly');
    await plan.getByLabel('Licensing server').selectOption('isp');
    await plan.getByLabel('Enumeration').selectOption('extras');
    await plan.getByLabel('Default value').selectOption('plesk');
    await plan.getByRole('button', { name: 'Save tariff plan' }).click();
    assert.equal(await page.locator('.flash-notice').innerText(), 'Tariff plan saved.');

    await page.getByText('Add a rule').click();
    const rule = page.locator('form#rule');
    await rule.getByLabel('Licensing server').selectOption('isp');
    await rule.getByLabel('Tariff plan').selectOption('vps-quarterly');
    await rule.getByLabel('Service period').fill('3');
    await rule.getByLabel('License period').fill('12');
    await rule.getByLabel('License period').press('Enter');
    assert.equal(await page.locator('.flash-notice').innerText(), 'Rule saved.');
    const audit = await h.service.request('GET', '/v1/admin/audit?actor=admin');
    assert.ok(audit.body.items.some((row: { action: string }) => row.action === 'admin.period_comparison.create'));

    const preview = page.locator('form#preview');
    await preview.getByLabel('Licensing server').selectOption('isp');
    await preview.getByLabel('Tariff plan').selectOption('vps-quarterly');
    await preview.getByLabel('Enumeration value').selectOption('extras/plesk');
    const output = page.locator('#preview-result');
    await preview.getByLabel('Service period').fill('lifetime');
    await output.getByText('no rule applies').waitFor();
    assert.match(await output.innerText(), /gets a lifetime license, of the same period: no rule applies/);
    await preview.getByLabel('Service period').fill('3');
    await output.getByText('by rule').waitFor();
    assert.match(
      await output.innerText(),
      /^A 3-month VPS on plan “VPS quarterly” with Plesk Web Admin gets a 12-month license, by rule #2\.$/,
    );
    await screenshot(page, shots, 'catalog');
  });

  it('lists the license a signed open hook made, and shows its audit trail', async () => {
    const op = await h.run('open', openFacts('vps-console'));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    licenseId = op.result.licenseId;

    await page.goto(`${base}/licenses`);
    const row = page.locator('table.licenses tbody tr', { hasText: licenseId });
    assert.match(await row.innerText(), /3541 · ISPmanager Lite/);
    assert.match(await row.innerText(), /vps-console/);
    await page.locator('#filter-status').selectOption('active');
    await page.locator('form#filter').getByRole('button', { name: 'Filter' }).click();
    assert.equal(await page.locator('table.licenses tbody tr').count(), 1);
    await screenshot(page, shots, 'licenses');

    await row.getByRole('link', { name: licenseId }).click();
    assert.match(await page.locator('h1').innerText(), /^License /);
    const trail = await page.locator('table.audit').innerText();
    assert.match(trail, /license\.ordered/);
    assert.match(trail, /license\.bound/);

    await page
      .locator('form#renew')
      .getByLabel(/Renew for/)
      .fill('7 years');
    await page.locator('form#renew').getByRole('button', { name: 'Renew' }).click();
    assert.ok((await page.locator('#renew-period-error').innerText()).length > 0, 'a bad period is named');
    await page.getByRole('button', { name: 'Delete…' }).click();
    assert.equal(await page.locator('h1').innerText(), 'Are you sure?');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await screenshot(page, shots, 'license');
  });

  it('shows an operation the sandbox refused for lack of money, and why', async () => {
    h.sandbox.setBalance(0, SANDBOX_USER);
    const op = await h.run('open', openFacts('vps-broke'));
    assert.equal(op.status, 'failed');
    failedOperationId = op.id;
    await page.goto(`${base}/operations?status=failed`);
    const row = page.locator(`tr#op-${failedOperationId}`);
    assert.match(await row.innerText(), /upstream_balance/);
    await page.goto(base);
    assert.match(await page.locator('#failed').innerText(), new RegExp(failedOperationId));
  });

  it('shows the balance alert on the overview', async () => {
    await reloadUntil(page, base, '#alerts', 'balance_refused');
    await screenshot(page, shots, 'overview');
  });

  it('retries the operation from the console after a top-up, and it succeeds', async () => {
    h.sandbox.setBalance(100_000, SANDBOX_USER);
    await page.goto(`${base}/operations?status=failed`);
    await page.locator(`tr#op-${failedOperationId}`).getByRole('button', { name: 'Retry' }).click();
    assert.match(await page.locator('.flash-notice').innerText(), /queued again/);
    assert.equal((await h.settled(failedOperationId)).status, 'succeeded');
    await reloadUntil(page, `${base}/operations?status=succeeded`, `tr#op-${failedOperationId}`, 'succeeded');
    const audit = await h.service.request('GET', `/v1/admin/audit?operationId=${failedOperationId}`);
    const retry = audit.body.items.find((row: { action: string }) => row.action === 'admin.operation.retry');
    assert.equal(retry?.actor, 'admin', "the console's write is the token's, in the audit trail");
    await page.goto(`${base}/operations`);
    await screenshot(page, shots, 'operations');
  });

  it('orders a license ahead into the pool', async () => {
    await page.goto(`${base}/pool`);
    const order = page.locator('form#order');
    await order.getByLabel('Software').selectOption('3541');
    await order.getByLabel('Period').fill('12');
    await order.getByRole('button', { name: 'Order into the pool' }).click();
    const notice = await page.locator('.flash-notice').innerText();
    const operationId = /operation (\S+)\./.exec(notice)![1]!;
    assert.equal((await h.settled(operationId)).status, 'succeeded');
    await reloadUntil(page, `${base}/pool`, 'main table', /3541 · ISPmanager Lite\s+1/);
    await screenshot(page, shots, 'pool');
  });

  it('refuses a write without the CSRF token', async () => {
    const status = await page.evaluate(async (url) => {
      const answer = await fetch(url, { method: 'POST', body: new URLSearchParams({ status: 'failed' }) });
      return answer.status;
    }, `${base}/operations/${failedOperationId}/retry`);
    assert.equal(status, 403);
    const forged = await page.evaluate(async (url) => {
      const body = new URLSearchParams({ _csrf: 'forged-token-of-another-session' });
      return (await fetch(url, { method: 'POST', body })).status;
    }, `${base}/sign-out`);
    assert.equal(forged, 403);
  });

  it('offers a viewer no write controls', async () => {
    const viewer = await (await browser.newContext()).newPage();
    await signIn(viewer, TEST_VIEWER_TOKEN);
    for (const path of [
      '',
      '/licenses',
      `/licenses/${licenseId}`,
      '/pool',
      '/operations?status=succeeded',
      '/catalog',
    ]) {
      await viewer.goto(base + path);
      assert.equal(
        await viewer.locator('main form[method="post"]').count(),
        0,
        `${path || '/'} offers a viewer a write`,
      );
      assert.notEqual(await viewer.locator('main table, main p').count(), 0, `${path || '/'} shows something`);
    }
    assert.equal(await viewer.locator('header').getByRole('button', { name: 'Sign out' }).count(), 1);
    await viewer.context().close();
  });

  it('signs out', async () => {
    await page.goto(base);
    await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    await page.goto(`${base}/operations`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in', 'the session is gone');
  });
});
