import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino, { type Logger } from 'pino';
import type { CatalogConfig } from '../src/catalog/schemas';
import { configSchema, type Config } from '../src/config/schema';
import { signPayload } from '../src/platform/signature';
import { startService, type Role, type RunningService } from '../src/service';

// The service as the benchmarks start it: catalog, configuration, logger, signed hooks, and the bare baseline.

export const SANDBOX_USER = 'reseller';
export const SANDBOX_PASSWORD = 'bench-sandbox-password';

/** One licensing server, ISPmanager Lite (price list 3541) on a monthly plan, and the seed's rule 1 → 12. */
export function benchCatalog(apiUrl: string, timeoutMs = 15_000): CatalogConfig {
  return {
    licensingServers: [
      {
        key: 'isp',
        module: 'billmanager',
        url: apiUrl,
        username: SANDBOX_USER,
        password: SANDBOX_PASSWORD,
        settings: { timeoutMs, periodCodes: { lifetime: -100, trial: -50 } },
      },
    ],
    enumerations: [
      {
        key: 'panels',
        name: 'Server control panel',
        values: [
          { key: 'nopanel', name: 'Without control panel', internalName: 'nopanel' },
          { key: 'isp-lite', name: 'ISPmanager Lite', internalName: '3541' },
        ],
      },
    ],
    tariffPlans: [
      {
        key: 'vps-monthly',
        name: 'VPS monthly',
        productType: 'vds',
        licensingServer: 'isp',
        enumeration: 'panels',
        defaultValue: 'nopanel',
      },
    ],
    periodComparisons: [{ licensingServer: 'isp', sourcePeriod: 1, targetPeriod: 12 }],
  };
}

/** Everything needed to start one service process; plain JSON, so it can be handed to a child process. */
export interface BenchServiceSpec {
  role: Role;
  databaseUrl: string;
  redisUrl: string;
  queueName: string;
  hookSecret: string;
  encryptionKeyHex: string;
  sandboxApiUrl: string;
  upstreamTimeoutMs?: number;
  worker?: Partial<Config['worker']>;
}

export function benchSpec(
  fields: Pick<BenchServiceSpec, 'databaseUrl' | 'redisUrl' | 'sandboxApiUrl'> & Partial<BenchServiceSpec>,
): BenchServiceSpec {
  return {
    role: 'all',
    queueName: `bench_ops_${crypto.randomBytes(5).toString('hex')}`,
    hookSecret: crypto.randomBytes(32).toString('hex'),
    encryptionKeyHex: crypto.randomBytes(32).toString('hex'),
    ...fields,
  };
}

export function benchConfig(spec: BenchServiceSpec): Config {
  const parsed = configSchema.parse({ env: 'test', http: { port: 0, host: '127.0.0.1' } });
  return {
    ...parsed,
    log: { level: benchLogLevel() },
    http: { ...parsed.http, host: '127.0.0.1' },
    database: { url: spec.databaseUrl },
    redis: { url: spec.redisUrl },
    hooks: { secret: spec.hookSecret, toleranceSeconds: 300 },
    auth: { tokens: [{ name: 'bench', role: 'admin', token: crypto.randomBytes(24).toString('hex') }] },
    encryptionKey: Buffer.from(spec.encryptionKeyHex, 'hex'),
    encryptionKeyPrevious: null,
    worker: { ...parsed.worker, shutdownGraceMs: 2000, ...spec.worker, queueName: spec.queueName },
    catalog: benchCatalog(spec.sandboxApiUrl, spec.upstreamTimeoutMs),
  };
}

function benchLogLevel(): Config['log']['level'] {
  return (process.env.BENCH_LOG_LEVEL as Config['log']['level'] | undefined) ?? 'info';
}

/** The service logs as in production (level `info`, `BENCH_LOG_LEVEL` to change), synchronously, to /dev/null. */
export function benchLogger(): Logger {
  return pino({ level: benchLogLevel() }, pino.destination({ dest: '/dev/null', sync: true }));
}

export function startBenchService(spec: BenchServiceSpec): Promise<RunningService> {
  return startService(benchConfig(spec), benchLogger(), spec.role);
}

/** An `open` hook's service facts for a distinct VPS with ISPmanager Lite on the monthly plan. */
export function openFacts(id: string, index: number): Record<string, unknown> {
  return {
    id,
    name: `${id}.example.net`,
    ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
    tariffPlan: 'vps-monthly',
    period: 1,
    paidUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    controlPanel: 'isp-lite',
  };
}

/** Sends signed hooks over a keep-alive agent; resolves with the status and body (never rejects on HTTP status). */
export class HookSender {
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    maxSockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(event: string, payload: unknown): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(payload);
    const url = new URL(`/v1/hooks/${event}`, this.baseUrl);
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-signature': signPayload(this.secret, body),
    };
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The baseline: a bare express app that parses JSON and answers 202, nothing else. */
export async function startBaselineApp(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.post('/v1/hooks/:event', (_req, res) => void res.status(202).json({ operationId: crypto.randomUUID() }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
