import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import nock from 'nock';
import type { LicensingServerModule, ModuleLogger } from '../../../src/domain/licensing-module';
import { BillmanagerApiClient, billmanagerModule } from '../../../modules/billmanager';

export const ORIGIN = 'https://licensing.example.test';
export const API_PATH = '/manager/billmgr';
export const API_URL = `${ORIGIN}${API_PATH}`;
export const USERNAME = 'reseller';
/** Has characters that form encoding changes (space, @), so both raw and encoded forms are looked for. */
export const PASSWORD = 'S3cr3t-p@ss word';
export const SESSION = 'sess-0001-0a1b2c3d';
export const RENEWED_SESSION = 'sess-0002-4e5f6a7b';
export const KEYS = ['KEY-AAAA-1111-SECRET', 'KEY-BBBB-2222-SECRET'];
/** Everything that must never appear in an error or a log line. */
export const SECRETS = [
  PASSWORD,
  encodeURIComponent(PASSWORD),
  'S3cr3t-p%40ss+word',
  SESSION,
  RENEWED_SESSION,
  ...KEYS,
];

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'billmanager');

/** The text of one recorded upstream reply. */
export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** Installs the nock hooks of the house: no real network but localhost, clean after each test. */
export function useNock(): void {
  before(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(() => {
    nock.abortPendingRequests();
    nock.cleanAll();
  });
  after(() => {
    nock.enableNetConnect();
  });
}

/** A logger that keeps every line, to prove no secret is logged. */
export class RecordingLogger implements ModuleLogger {
  readonly lines: string[] = [];
  debug(obj: object, msg?: string): void {
    this.record('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.record('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.record('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.record('error', obj, msg);
  }
  private record(level: string, obj: object, msg?: string): void {
    this.lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)} ${inspect(obj, { depth: 10 })}`);
  }
}

/** A module over the nock'd URL, built through the registered definition (settings parsed as in production). */
export function createModule(settings: unknown = {}, logger = new RecordingLogger()): LicensingServerModule {
  const parsed = billmanagerModule.parseSettings(settings);
  return billmanagerModule.create(
    { url: API_URL, username: USERNAME, password: PASSWORD, settings: parsed },
    { logger },
  );
}

/** A bare API client over the nock'd URL. */
export function createClient(
  options: Partial<{ auth: 'session' | 'authinfo'; timeoutMs: number; maxResponseBytes: number }> = {},
  logger = new RecordingLogger(),
): BillmanagerApiClient {
  return new BillmanagerApiClient({
    url: API_URL,
    username: USERNAME,
    password: PASSWORD,
    auth: options.auth ?? 'session',
    timeoutMs: options.timeoutMs ?? 5000,
    maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024,
    logger,
  });
}

const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };

/** Expects one form POST with exactly these fields (besides `out=xml`), answered with a fixture. */
export function expectCall(scope: nock.Scope, form: Record<string, string>, reply: string): nock.Scope {
  return scope.post(API_PATH, { out: 'xml', ...form }).reply(200, fixture(reply), XML);
}

/** Expects a session login with the test credentials, answered with a fixture. */
export function expectLogin(scope: nock.Scope, reply = 'auth-ok.xml'): nock.Scope {
  return expectCall(scope, { func: 'auth', username: USERNAME, password: PASSWORD }, reply);
}

/** A scope that has already logged in with {@link SESSION}. */
export function loggedInScope(): nock.Scope {
  return expectLogin(nock(ORIGIN));
}

/** Every way an error can be shown: message, cause, stack, `util.inspect`, JSON. */
export function renderError(error: unknown): string {
  const parts = [inspect(error, { depth: 20, showHidden: true }), JSON.stringify(error)];
  if (error instanceof Error) parts.push(error.message, String(error.stack), inspect(error.cause, { depth: 20 }));
  return parts.join('\n');
}

/** Fails when the text holds any of the {@link SECRETS}. */
export function assertNoSecret(text: string): void {
  for (const secret of SECRETS) {
    if (text.includes(secret))
      throw new Error(`A secret leaked: …${text.slice(text.indexOf(secret) - 80, text.indexOf(secret) + 80)}…`);
  }
}

/** Resolves with what the promise rejected with; fails when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
