import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis, findFreePort, pingRedis, type RedisRuntime } from '../../src/infra/redis-runtime';

interface LogLine {
  level: 'info' | 'warn';
  obj: object;
  msg?: string;
}

describe('ensureRedis', function () {
  let varDir: string;
  let logs: LogLine[];
  const started: RedisRuntime[] = [];
  const logger = {
    info: (obj: object, msg?: string) => logs.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj, msg }),
  };

  /** A URL where nothing listens, so the probe fails and a private server is needed. */
  async function deadUrl(): Promise<string> {
    return `redis://127.0.0.1:${await findFreePort()}`;
  }

  async function startPrivate(port?: number): Promise<RedisRuntime> {
    const runtime = await ensureRedis({ varDir, logger, port, probeUrl: await deadUrl() });
    started.push(runtime);
    return runtime;
  }

  beforeEach(function () {
    varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-redis-runtime-'));
    logs = [];
  });

  afterEach(async function () {
    await Promise.all(started.splice(0).map((runtime) => runtime.stop()));
    fs.rmSync(varDir, { recursive: true, force: true });
  });

  it('starts a private redis-server with AOF under varDir when nothing answers, and stop() stops it', async function () {
    const port = await findFreePort();
    const runtime = await startPrivate(port);

    assert.equal(runtime.private, true);
    assert.equal(runtime.url, `redis://127.0.0.1:${port}`);
    assert.equal(await pingRedis(runtime.url, 1_000), true);
    const dataDir = path.join(varDir, 'redis');
    const aof = ['appendonlydir', 'appendonly.aof'].filter((name) => fs.existsSync(path.join(dataDir, name)));
    assert.ok(aof.length > 0, `expected an AOF under ${dataDir}, found ${fs.readdirSync(dataDir).join(', ')}`);
    assert.ok(logs.some((line) => line.level === 'info' && line.msg === 'started a private redis-server'));

    await runtime.stop();
    assert.equal(await pingRedis(runtime.url, 500), false);
  });

  it('keeps data across a restart on the same varDir (AOF is on)', async function () {
    const port = await findFreePort();
    const first = await startPrivate(port);
    const client = new Redis(first.url);
    await client.set('survives', 'yes');
    await client.quit();
    await first.stop();

    const second = await startPrivate(port);
    const reader = new Redis(second.url);
    try {
      assert.equal(await reader.get('survives'), 'yes');
    } finally {
      await reader.quit();
    }
  });

  it('uses the Redis at probeUrl when it answers, without starting another', async function () {
    const existing = await startPrivate();
    logs = [];

    const runtime = await ensureRedis({ varDir, logger, probeUrl: existing.url });

    assert.deepEqual({ url: runtime.url, private: runtime.private }, { url: existing.url, private: false });
    await runtime.stop();
    assert.equal(await pingRedis(existing.url, 1_000), true, 'stop() of a shared Redis must not stop it');
  });

  it('uses a configured URL as is, without probing it', async function () {
    const url = await deadUrl();
    const runtime = await ensureRedis({ configuredUrl: url, varDir, logger });
    assert.deepEqual({ url: runtime.url, private: runtime.private }, { url, private: false });
    assert.equal(fs.existsSync(path.join(varDir, 'redis')), false);
  });

  it('names the fix when no Redis answers and redis-server is not on PATH', async function () {
    await assert.rejects(
      ensureRedis({ varDir, logger, probeUrl: await deadUrl(), redisServerBinary: 'redis-server', searchPath: '' }),
      (err: Error) => /apt-get install -y redis-server/.test(err.message) && /REDIS_URL/.test(err.message),
    );
  });

  it('reports a server that cannot start, with its log', async function () {
    const blocker = await startPrivate();
    const takenPort = Number(new URL(blocker.url).port);
    await assert.rejects(
      ensureRedis({ varDir: path.join(varDir, 'second'), logger, port: takenPort, probeUrl: await deadUrl() }),
      /redis-server exited with code \d+; last log lines/,
    );
  });
});

describe('pingRedis', function () {
  it('answers false quickly for a port where nothing listens', async function () {
    const started = Date.now();
    assert.equal(await pingRedis(`redis://127.0.0.1:${await findFreePort()}`, 500), false);
    assert.ok(Date.now() - started < 2_000);
  });
});
