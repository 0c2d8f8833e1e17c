import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { configSchema, type Config } from '../config/schema';
import { signPayload } from '../platform/signature';
import { startSandbox, type SandboxCall } from '../sandbox/server';
import { generateEncryptionKey, parseEncryptionKey } from '../security/secret-box';
import { startService } from '../service';

/**
 * `npm run demo`: the seed's worked example against the sandbox, printed as a timeline. A provider buys yearly
 * licenses and sells monthly VPS (rule 1 → 12); a client opens a VPS with ISPmanager, renews twice, cancels in
 * month three; the next client's VPS gets that license from the pool and nothing new is ordered.
 */
const DAY = 86_400_000;
const started = Date.now();
const say = (who: string, text: string) =>
  console.log(`${String(Date.now() - started).padStart(6)} ms  ${who.padEnd(9)} ${text}`);

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    accounts: [{ username: 'reseller', password: 'demo-password', balance: 1000 }],
  });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'license-demo-'));
  const defaults = configSchema.parse({ env: 'test', log: { level: 'silent' } });
  const hookSecret = crypto.randomBytes(32).toString('hex');
  const adminToken = crypto.randomBytes(24).toString('base64url');
  const config: Config = {
    ...defaults,
    varDir: workDir,
    http: { ...defaults.http, port: 0, host: '127.0.0.1' },
    database: { url: `sqlite:${path.join(workDir, 'demo.sqlite')}` },
    hooks: { secret: hookSecret, toleranceSeconds: 300 },
    auth: { tokens: [{ name: 'demo', role: 'admin', token: adminToken }] },
    encryptionKey: parseEncryptionKey(generateEncryptionKey())!,
    encryptionKeyPrevious: null,
    worker: { ...defaults.worker, queueName: `demo-${crypto.randomBytes(4).toString('hex')}`, relayIntervalMs: 200 },
    catalog: {
      licensingServers: [
        {
          key: 'ispsystem',
          module: 'billmanager',
          url: sandbox.apiUrl,
          username: 'reseller',
          password: 'demo-password',
          settings: { periodCodes: { lifetime: -100 } },
        },
      ],
      enumerations: [
        {
          key: 'control-panel',
          name: 'Server control panel',
          values: [
            { key: 'nopanel', name: 'Without control panel', internalName: 'nopanel' },
            { key: 'ispmanager-lite', name: 'ISPmanager Lite, Pro, Host', internalName: '3541' },
          ],
        },
      ],
      tariffPlans: [
        {
          key: 'vps-monthly',
          name: 'VPS, monthly',
          productType: 'vds',
          licensingServer: 'ispsystem',
          enumeration: 'control-panel',
          defaultValue: 'nopanel',
        },
      ],
      periodComparisons: [{ licensingServer: 'ispsystem', sourcePeriod: 1, targetPeriod: 12 }],
    },
  };
  const service = await startService(config, pino({ level: 'silent' }));
  let seenCalls = 0;
  const showUpstream = () => {
    const calls = sandbox.calls();
    for (const call of calls.slice(seenCalls)) if (call.func !== 'auth') say('upstream', describeCall(call));
    seenCalls = calls.length;
  };
  const hook = async (event: string, facts: Record<string, unknown>) => {
    const body = JSON.stringify({ eventId: crypto.randomUUID(), service: facts });
    say('platform', `${event.padEnd(8)} ${JSON.stringify(facts)}`);
    const answer = await fetch(`${service.url}/v1/hooks/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signPayload(hookSecret, body) },
      body,
    });
    const { operationId } = (await answer.json()) as { operationId: string };
    for (;;) {
      const op = (await (
        await fetch(`${service.url}/v1/operations/${operationId}`, {
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).json()) as {
        status: string;
        result: { source: string; upstreamId: string; paidUntil: string } | null;
        error: unknown;
      };
      if (op.status !== 'queued' && op.status !== 'running') {
        showUpstream();
        const result = op.result
          ? `license ${op.result.upstreamId ?? '-'} (source: ${op.result.source}), paid until ${op.result.paidUntil?.slice(0, 10) ?? '-'}`
          : JSON.stringify(op.error);
        say('module', `${event} ${op.status}: ${result}`);
        return op;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  try {
    const month = (n: number) => new Date(started + n * 30 * DAY).toISOString();
    const resolve = await fetch(
      `${service.url}/v1/admin/period-comparisons/resolve?tariffPlan=vps-monthly&sourcePeriod=1&priceList=3541`,
      {
        headers: { authorization: `Bearer ${adminToken}` },
      },
    );
    say('module', `period comparison for a monthly VPS with ISPmanager: ${JSON.stringify(await resolve.json())}`);
    const clientA = {
      id: 'vps-a',
      name: 'a.example.net',
      ip: '203.0.113.10',
      tariffPlan: 'vps-monthly',
      period: 1,
      controlPanel: 'ispmanager-lite',
    };
    await hook('open', { ...clientA, paidUntil: month(1) });
    await hook('prolong', { id: 'vps-a', period: 1, paidUntil: month(2) });
    await hook('prolong', { id: 'vps-a', period: 1, paidUntil: month(3) });
    await hook('close', { id: 'vps-a' });
    const pool = await (
      await fetch(`${service.url}/v1/admin/pool`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).json();
    say('module', `pool: ${JSON.stringify(pool)}`);
    const reused = await hook('open', {
      id: 'vps-b',
      name: 'b.example.net',
      ip: '203.0.113.77',
      tariffPlan: 'vps-monthly',
      period: 1,
      paidUntil: month(1),
      controlPanel: 'ispmanager-lite',
    });
    const orders = sandbox.calls().filter((c) => c.func === 'soft.order.param' && c.outcome === 'ok').length;
    console.log(
      `\nOrders placed: ${orders}. The second VPS got its license from the ${reused.result?.source}; new orders for it: ${reused.result?.source === 'pool' ? 0 : 1}.`,
    );
    console.log(`Account balance: ${sandbox.balance('reseller')} of 1000 (one yearly license).`);
  } finally {
    await service.stop();
    await sandbox.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function describeCall(call: SandboxCall): string {
  const p = call.params;
  const what: Record<string, string> = {
    'soft.order.param': `order price list ${p.pricelist} for period ${p.period} on IP ${p.ip} as "${p.licname}"`,
    'soft.edit':
      p.clicked_button === 'newkey'
        ? `regenerate the activation key of ${p.elid}`
        : p.sok
          ? `edit ${p.elid}: ${[p.ip && `IP ${p.ip}`, p.licname && `name "${p.licname}"`].filter(Boolean).join(', ')}`
          : `read ${p.elid}`,
    'service.prolong': `renew ${p.elid} by ${p.period}`,
    'soft.suspend': `suspend ${p.elid}`,
    'soft.resume': `resume ${p.elid}`,
    'soft.delete': `delete ${p.elid}`,
    soft: 'list licenses',
  };
  return `${what[call.func] ?? call.func} → ${call.outcome}${call.errorType ? ` (${call.errorType})` : ''}`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
