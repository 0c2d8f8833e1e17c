/**
 * The end of `npm test`: runs the mocha suite once on SQLite and once on PostgreSQL, with one Redis for both.
 *
 * - `TEST_DB_ONLY=sqlite|postgres` runs one backend.
 * - PostgreSQL is found at `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres). When none
 *   answers, the PostgreSQL run is skipped with a loud warning, or, when `CI=true`, the whole run fails.
 * - Redis: `TEST_REDIS_URL`, else 127.0.0.1:6379 if it answers, else a private redis-server for the run.
 * - Extra arguments go to mocha; file names and globs replace the configured spec: `npm test -- test/unit/x.test.ts`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ensureRedis, redactUrl, type RedisRuntime } from '../src/infra/redis-runtime';
import { DEFAULT_TEST_DATABASE_URL } from './helpers/database';

type Backend = 'sqlite' | 'postgres';
interface RunResult {
  backend: Backend;
  outcome: 'passed' | 'FAILED' | 'SKIPPED';
  detail: string;
}

const REPO_ROOT = path.resolve(__dirname, '..');
const MOCHA_BIN = require.resolve('mocha/bin/mocha.js');
/** Mocha options that take a value: the word after them is not a spec. */
const VALUE_OPTIONS = new Set(
  '-g --grep -f --fgrep -R --reporter -O --reporter-option --reporter-options -t --timeout -s --slow -r --require -u --ui --file --ignore --exclude --spec --extension --config --package -j --jobs --retries -n --node-option --watch-files --watch-ignore'.split(
    ' ',
  ),
);

const isCi = process.env.CI === 'true' || process.env.CI === '1';
const postgresUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
let redis: RedisRuntime | undefined;
let scratchDir: string | undefined;

async function main(): Promise<number> {
  const backends = selectedBackends(process.env.TEST_DB_ONLY);
  const results: RunResult[] = [];
  let postgresDown: string | undefined;
  if (backends.includes('postgres')) {
    postgresDown = await postgresProblem(postgresUrl);
    if (postgresDown && isCi) {
      printBox([
        'PostgreSQL is required when CI=true, and none answers.',
        `TEST_DATABASE_URL: ${redactUrl(postgresUrl)}`,
        `Reason: ${postgresDown}`,
        'Start PostgreSQL (or run .ci/run, which installs it), or set TEST_DATABASE_URL.',
      ]);
      return 1;
    }
  }

  scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-test-run-'));
  redis = await ensureRedis({ configuredUrl: process.env.TEST_REDIS_URL || undefined, varDir: scratchDir, logger });
  const mochaArgs = toMochaArgs(process.argv.slice(2), scratchDir);

  for (const backend of backends) {
    if (backend === 'postgres' && postgresDown) {
      results.push({ backend, outcome: 'SKIPPED', detail: `no PostgreSQL at ${redactUrl(postgresUrl)}` });
      continue;
    }
    console.log(`\n=== mocha on ${backend} ===`);
    const started = Date.now();
    const code = await runMocha(backend, redis.url, mochaArgs);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    results.push({ backend, outcome: code === 0 ? 'passed' : 'FAILED', detail: `exit ${code}, ${seconds} s` });
  }

  await stopRedis();
  console.log('');
  for (const result of results) console.log(`[test] ${result.backend}: ${result.outcome} (${result.detail})`);
  if (postgresDown) {
    printBox([
      'WARNING: the PostgreSQL run was SKIPPED.',
      `Nothing answers at ${redactUrl(postgresUrl)} (${postgresDown}).`,
      'Production runs on PostgreSQL: start it, or set TEST_DATABASE_URL, and run npm test again.',
    ]);
  }
  return results.some((result) => result.outcome === 'FAILED') ? 1 : 0;
}

function selectedBackends(only: string | undefined): Backend[] {
  if (!only) return ['sqlite', 'postgres'];
  if (only === 'sqlite' || only === 'postgres') return [only];
  throw new Error(`TEST_DB_ONLY must be sqlite or postgres (got "${only}")`);
}

/** Undefined when a PostgreSQL answers at `url` within 3 s; otherwise why not. */
async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || (err as { code?: string }).code || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Passes options through. Mocha adds CLI specs to the config's spec list instead of replacing it, so when file names
 * or globs are given, mocha gets a copy of `.mocharc.json` without `spec`.
 */
function toMochaArgs(args: string[], dir: string): string[] {
  const specs = args.filter((arg, index) => !arg.startsWith('-') && !VALUE_OPTIONS.has(args[index - 1] ?? ''));
  if (specs.length === 0) return args;
  const configText = fs.readFileSync(path.join(REPO_ROOT, '.mocharc.json'), 'utf8');
  const { spec: _configuredSpecs, ...config } = JSON.parse(configText) as Record<string, unknown>;
  const configFile = path.join(dir, 'mocharc-without-spec.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  return ['--config', configFile, ...args];
}

function runMocha(backend: Backend, redisUrl: string, args: string[]): Promise<number> {
  const env = { ...process.env, TEST_DB: backend, TEST_REDIS_URL: redisUrl };
  const child = spawn(process.execPath, [MOCHA_BIN, ...args], { stdio: 'inherit', env, cwd: REPO_ROOT });
  return new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`[test] could not run mocha: ${err.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function stopRedis(): Promise<void> {
  const running = redis;
  redis = undefined;
  await running?.stop();
  if (scratchDir) fs.rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
}

function printBox(lines: string[]): void {
  const width = Math.max(...lines.map((line) => line.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  console.error(['', edge, ...lines.map((line) => `| ${line.padEnd(width)} |`), edge, ''].join('\n'));
}

const logger = {
  info: (obj: object, msg?: string) => console.log(`[test] ${msg ?? ''} ${JSON.stringify(obj)}`),
  warn: (obj: object, msg?: string) => console.warn(`[test] ${msg ?? ''} ${JSON.stringify(obj)}`),
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[test] ${signal}: stopping`);
    void stopRedis().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(`[test] ${(err as Error).message ?? String(err)}`);
    await stopRedis().catch(() => undefined);
    process.exit(1);
  },
);
