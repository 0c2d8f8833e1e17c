import assert from 'node:assert/strict';
import { sha256 } from '../../src/console/session';
import { startTestService, TEST_ADMIN_TOKEN, TEST_PLATFORM_TOKEN, type TestService } from '../helpers/service';

/** The console's sessions over plain HTTP (the browser suite drives the pages themselves). */
describe('console sessions', function () {
  this.timeout(30_000);
  let service: TestService;
  beforeEach(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await service.close();
  });

  const signIn = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/console/sign-in`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
      headers,
    });

  async function session(): Promise<{ cookie: string; id: string; csrf: string }> {
    const answer = await signIn(TEST_ADMIN_TOKEN);
    assert.equal(answer.status, 303);
    const setCookie = answer.headers.get('set-cookie')!;
    assert.match(setCookie, /^plm_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=86400$/);
    const cookie = setCookie.split(';')[0]!;
    const page = await (await fetch(`${service.url}/console/operations`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    return { cookie, id: cookie.split('=')[1]!, csrf };
  }

  it('keeps only hashes of the session id and the token in the database', async () => {
    const { id } = await session();
    const rows = await service.database.db('console_sessions').select();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id_hash, sha256(id));
    assert.equal(rows[0].token_hash, sha256(TEST_ADMIN_TOKEN));
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(`${id}|${TEST_ADMIN_TOKEN}`));
  });

  it('ends a session idle for 8 hours', async () => {
    const { cookie } = await session();
    const idle = new Date(Date.now() - 8 * 3600_000 - 1000).toISOString();
    await service.database.db('console_sessions').update({ last_seen_at: idle });
    const answer = await fetch(`${service.url}/console/pool`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(answer.status, 303);
    assert.equal(answer.headers.get('location'), '/console/sign-in?next=%2Fconsole%2Fpool');
  });

  it('refuses a write from another origin even with the CSRF token, and one without the token', async () => {
    const { cookie, csrf } = await session();
    const post = (body: Record<string, string>, origin?: string) =>
      fetch(`${service.url}/console/sign-out`, {
        method: 'POST',
        body: new URLSearchParams(body),
        redirect: 'manual',
        headers: { cookie, ...(origin ? { origin } : {}) },
      });
    assert.equal((await post({ _csrf: csrf }, 'https://evil.example')).status, 403);
    assert.equal((await post({})).status, 403);
    assert.equal((await post({ _csrf: csrf }, service.url)).status, 303, 'the same origin with the token signs out');
    assert.equal(
      await service.database
        .db('console_sessions')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
    );
  });

  it('limits failed sign-ins, and refuses a platform token', async () => {
    const refused = await signIn(TEST_PLATFORM_TOKEN);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /platform token: it may not read the console/);
    for (let i = 0; i < 4; i++) assert.equal((await signIn('wrong-token-0123456789')).status, 401);
    const limited = await signIn(TEST_ADMIN_TOKEN);
    assert.equal(limited.status, 429, 'even the right token waits once the allowance is spent');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('is not part of the published API', async () => {
    const doc = (await service.request('GET', '/v1/openapi.json', { token: null })).body;
    assert.ok(Object.keys(doc.paths).every((path) => !path.startsWith('/console')));
    const page = await fetch(`${service.url}/console/sign-in`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
  });
});
