import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { TEST_ADMIN_TOKEN, TEST_HOOK_SECRET, TEST_VIEWER_TOKEN } from '../helpers/service';

const PLM_BIN = path.resolve(__dirname, '../../bin/plm.js');

interface PlmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The operator CLI `plm`, run as a person or a script runs it: the real bin in a child process, against the whole
 * service (in-process workers, the sandbox licensing server). Each spawn costs about a second (tsx), so the cases
 * build on each other in order: one service opened by `hook` is then shown, listed, suspended, lost upstream and
 * given its license again.
 */
describe('plm: the operator CLI against a running service', function () {
  this.timeout(120_000);
  let h: Harness;
  let openedLicenseId: string;

  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  function plm(args: string[], env: Record<string, string | undefined> = {}): Promise<PlmRun> {
    const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
    for (const key of Object.keys(base)) if (key.startsWith('PLM_')) delete base[key];
    const childEnv = {
      ...base,
      PLM_URL: h.service.url,
      PLM_TOKEN: TEST_ADMIN_TOKEN,
      PLM_HOOK_SECRET: TEST_HOOK_SECRET,
      ...env,
    };
    const child = spawn(process.execPath, [PLM_BIN, '--timeout', '30', ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const ok = (run: PlmRun) => assert.equal(run.code, 0, `plm failed:\n${run.stdout}\n${run.stderr}`);
  const hookFields = (facts: Record<string, unknown>) =>
    ['ip', 'tariffPlan', 'period', 'paidUntil', 'controlPanel'].flatMap((key) => ['--field', `${key}=${facts[key]}`]);
  const licenseOf = async (serviceId: string) => {
    const { body } = await h.service.request('GET', `/v1/services/${serviceId}`);
    return body.license as { id: string; upstreamId: string; status: string } | null;
  };

  it('hook open: signs the hook, sends it and waits for its operation to succeed', async () => {
    const run = await plm(['hook', 'open', '--service', 'cli-a', ...hookFields(openFacts('cli-a'))]);
    ok(run);
    assert.match(run.stdout, /\(open, service cli-a\) succeeded after 1 attempt: license \S+ \(upstream \d+\)/);
    openedLicenseId = (await licenseOf('cli-a'))!.id;
    assert.ok(run.stdout.includes(openedLicenseId));
  });

  it('info shows the service as last known and its license', async () => {
    const run = await plm(['info', 'cli-a']);
    ok(run);
    assert.match(run.stdout, /^service: +cli-a$/m);
    assert.match(run.stdout, new RegExp(`^ip: +${openFacts('cli-a').ip}$`, 'm'));
    assert.match(run.stdout, /^tariff plan: +vps-monthly$/m);
    assert.match(run.stdout, new RegExp(`^${openedLicenseId} +\\d+ +cli-a +active +bound +isp +3541 +12 `, 'm'));
  });

  it('licenses list --json: the API page as is, filtered', async () => {
    const other = await h.run('open', openFacts('cli-b', { controlPanel: 'isp-business' }));
    assert.equal(other.status, 'succeeded', JSON.stringify(other.error));
    const run = await plm(['--json', 'licenses', 'list', '--price-list', '4601', '--status', 'active']);
    ok(run);
    const page = JSON.parse(run.stdout);
    assert.deepEqual(
      page.items.map((l: { serviceId: string }) => l.serviceId),
      ['cli-b'],
    );
    assert.equal(page.nextCursor, null);
    assert.equal(page.items[0].priceList, '4601');
  });

  it('license show prints the license and its audit trail', async () => {
    const run = await plm(['license', 'show', openedLicenseId]);
    ok(run);
    assert.match(run.stdout, new RegExp(`^license: +${openedLicenseId}$`, 'm'));
    assert.match(run.stdout, /^Audit trail/m);
    assert.match(run.stdout, /^AT +ACTOR +ACTION +OPERATION +DETAILS$/m);
    assert.match(run.stdout, / worker +license\.ordered /);
  });

  it('license suspend --wait waits for the operation and prints its outcome', async () => {
    const run = await plm(['license', 'suspend', openedLicenseId, '--wait']);
    ok(run);
    assert.match(run.stdout, /\(license\.suspend, service cli-a\) succeeded/);
    assert.equal((await licenseOf('cli-a'))!.status, 'suspended');
  });

  it('pool order --wait, then pool shows them', async () => {
    const order = await plm(
      ['pool', 'order', '--licensing-server', 'isp', '--price-list', '3541', '--period', '12', '--count', '2'].concat(
        '--wait',
      ),
    );
    ok(order);
    assert.equal(order.stdout.match(/\(pool\.order\) succeeded/g)?.length, 2, order.stdout);
    const pool = await plm(['pool']);
    ok(pool);
    assert.match(pool.stdout, /^LICENSING SERVER +PRICE LIST +POOLED +ELIGIBLE +SOONEST EXPIRY$/m);
    assert.match(pool.stdout, /^isp +3541 +2 +2 +\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/m);
  });

  it('an operation that fails: hook exits 1; operations list --status failed shows it; retry --wait after a top-up', async () => {
    h.sandbox.setBalance(0);
    const hook = await plm([
      'hook',
      'open',
      '--service',
      'cli-c',
      ...hookFields(openFacts('cli-c', { controlPanel: 'isp-business' })),
    ]);
    assert.equal(hook.code, 1, hook.stdout + hook.stderr);
    assert.match(hook.stdout, /\(open, service cli-c\) failed after 1 attempt: upstream_balance: /);
    assert.match(hook.stderr, /fix: fix the cause, then: plm operations retry \S+ --wait/);
    const failedId = /operation (\S+) \(open, service cli-c\)/.exec(hook.stdout)![1]!;

    const failed = await plm(['operations', 'list', '--status', 'failed']);
    ok(failed);
    assert.match(failed.stdout, new RegExp(`^${failedId} +open +cli-c +failed +1 +.*upstream_balance: `, 'm'));

    h.sandbox.setBalance(100_000);
    const retry = await plm(['operations', 'retry', failedId, '--wait']);
    ok(retry);
    assert.match(
      retry.stdout,
      new RegExp(`operation ${failedId} \\(open, service cli-c\\) succeeded after 2 attempts`),
    );
  });

  it('reconcile --wait reports the drift; drift filters it; fetch gives the lost license again; adopt --all', async () => {
    const lost = (await licenseOf('cli-a'))!;
    h.sandbox.deleteLicense(lost.upstreamId);
    const byHand = h.sandbox.createLicense({ pricelist: '3541', ip: '198.51.100.7', licname: 'by hand' });

    const reconcile = await plm(['reconcile', 'isp', '--wait']);
    ok(reconcile);
    assert.match(reconcile.stdout, /^run \S+ of isp ended; 2 drift item\(s\)$/m);
    assert.match(reconcile.stdout, new RegExp(`^unknown_upstream +isp +${byHand.id} `, 'm'));
    assert.match(reconcile.stdout, new RegExp(`^missing_upstream +isp +${lost.upstreamId} +${lost.id} +cli-a `, 'm'));

    const drift = await plm(['--json', 'drift', '--kind', 'missing_upstream']);
    ok(drift);
    const report = JSON.parse(drift.stdout);
    assert.deepEqual(
      report.items.map((item: { licenseId: string }) => item.licenseId),
      [lost.id],
    );
    assert.ok(report.checkedAt.isp);

    const fetched = await plm(['fetch', 'cli-a', '--wait']);
    ok(fetched);
    assert.match(fetched.stdout, /\(service\.provide, service cli-a\) succeeded after 1 attempt: .*from the pool/);
    assert.notEqual((await licenseOf('cli-a'))!.id, lost.id);

    const adopted = await plm(['adopt', '--licensing-server', 'isp', '--all', '--wait']);
    ok(adopted);
    assert.match(adopted.stdout, /\(license\.adopt\) succeeded/);
  });

  it('exit codes: 2 without a token or with a bad flag, 1 for an API error, 3 when nothing listens', async () => {
    const closedPort = await freePort();
    const [noToken, badFlag, unknown, viewer, unreachable] = await Promise.all([
      plm(['licenses', 'list'], { PLM_TOKEN: '' }),
      plm(['licenses', 'list', '--status', 'sleeping']),
      plm(['license', 'renew', 'no-such-license']),
      plm(['license', 'resume', openedLicenseId], { PLM_TOKEN: TEST_VIEWER_TOKEN }),
      plm(['pool'], { PLM_URL: `http://127.0.0.1:${closedPort}` }),
    ]);
    assert.equal(noToken.code, 2, noToken.stderr);
    assert.match(noToken.stderr, /no API token: set PLM_TOKEN/);
    assert.match(noToken.stderr, /var\/secrets\.json/);
    assert.equal(badFlag.code, 2, badFlag.stderr);
    assert.match(badFlag.stderr, /sleeping/);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /^plm: not_found \(HTTP 404\): /m);
    assert.equal(viewer.code, 1, viewer.stderr);
    assert.match(viewer.stderr, /^plm: forbidden \(HTTP 403\)/m);
    assert.match(
      viewer.stderr,
      /fix: this token's role \(viewer\) may not run "plm license resume" \(POST \/v1\/admin\/licenses\/\S+\/actions\): use a token of role admin/,
    );
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach the service at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.match(unreachable.stderr, /is the service running at PLM_URL\?/);
  });

  it('alerts --json prints the API answer as is', async () => {
    const run = await plm(['--json', 'alerts']);
    ok(run);
    const printed = JSON.parse(run.stdout);
    const direct = await h.service.request('GET', '/v1/admin/alerts');
    assert.deepEqual(
      printed.items.map((a: { id: string }) => a.id),
      direct.body.items.map((a: { id: string }) => a.id),
    );
  });

  it('report savings shows the counts of the month', async () => {
    const run = await plm(['report', 'savings']);
    ok(run);
    assert.match(run.stdout, /^orders: +\d+, cost /m);
    assert.match(run.stdout, /^By price list$/m);
  });
});

/** A port nothing listens on: taken from the OS, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
