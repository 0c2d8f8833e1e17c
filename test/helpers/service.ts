import pino from 'pino';
import { configSchema, type Config } from '../../src/config/schema';
import { startService, type RunningService, type Role } from '../../src/service';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/security/secret-box';
import { createTestDatabase, type TestDatabase } from './database';
import { testRedisUrl } from './redis';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_PLATFORM_TOKEN = 'test-platform-token-0123456789';
export const TEST_VIEWER_TOKEN = 'test-viewer-token-0123456789';
/** One token of each role; the admin's is named `admin` (the audit trail's actor of the tests' admin writes). */
export const TEST_TOKENS: Config['auth']['tokens'] = [
  { name: 'admin', role: 'admin', token: TEST_ADMIN_TOKEN },
  { name: 'billing', role: 'platform', token: TEST_PLATFORM_TOKEN },
  { name: 'auditor', role: 'viewer', token: TEST_VIEWER_TOKEN },
];
export const TEST_HOOK_SECRET = 'test-hook-secret-0123456789';

export interface TestService extends RunningService {
  url: string;
  database: TestDatabase;
  config: Config;
  /** fetch against the service with the admin token (unless `token: null`). */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers of many shapes;
  close(): Promise<void>;
}

/** Starts the whole service in-process on a random port, on a fresh test database and the test Redis. */
export async function startTestService(overrides: Partial<Config> = {}, role: Role = 'all'): Promise<TestService> {
  const database = await createTestDatabase({ migrate: false });
  const parsed = configSchema.parse({ env: 'test', http: { port: 0, host: '127.0.0.1' }, log: { level: 'silent' } });
  const config: Config = {
    ...parsed,
    http: { ...parsed.http, host: '127.0.0.1' },
    database: { url: database.url },
    redis: { url: await testRedisUrl() },
    hooks: { secret: TEST_HOOK_SECRET, toleranceSeconds: 300 },
    auth: { tokens: TEST_TOKENS },
    encryptionKey: parseEncryptionKey(generateEncryptionKey())!,
    encryptionKeyPrevious: null,
    ...overrides,
  };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const service = await startService(config, logger, role);
  const url = service.url!;
  return {
    ...service,
    url,
    database,
    config,
    async request(method, path, options = {}) {
      const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token;
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(url + path, { method, headers: { ...headers, ...options.headers }, body });
      const text = await response.text();
      // JSON answers are parsed; others (the Prometheus text of /metrics, the queue dashboard's HTML) stay text.
      const json = /json/.test(response.headers.get('content-type') ?? '');
      return { status: response.status, body: text ? (json ? JSON.parse(text) : text) : null };
    },
    async close() {
      await service.stop();
      await database.destroy();
    },
  };
}
