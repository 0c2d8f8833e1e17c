import type { RootHookObject } from 'mocha';
import { redactUrl } from '../../src/infra/redis-runtime';
import { testDatabaseKind, testPostgresAdminUrl } from './database';
import { stopTestRedis } from './redis';

/** Mocha root hooks (loaded by `.mocharc.json`): say which backend this run uses; stop a private Redis at the end. */
export const mochaHooks: RootHookObject = {
  beforeAll() {
    const kind = testDatabaseKind();
    const where = kind === 'postgres' ? ` on ${redactUrl(testPostgresAdminUrl())}` : ' (a temp file per database)';
    console.log(`[test] database backend: ${kind}${where}`);
  },
  async afterAll() {
    await stopTestRedis();
  },
};
