import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());
const MIN = 60_000;

describe('sessions', () => {
  it('expire after AUTH_IDLE_TIMEOUT_MINUTES without use', async () => {
    const clock = testClock();
    s = await createTestServer({ AUTH_IDLE_TIMEOUT_MINUTES: '30' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    clock.advance(29 * MIN);
    expect((await admin.get('/api/auth/me')).status).toBe(200); // use refreshes the idle clock
    clock.advance(29 * MIN);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    clock.advance(31 * MIN);
    expect((await admin.get('/api/auth/me')).status).toBe(401);
  });

  it('expire after SESSION_MAX_HOURS however busy', async () => {
    const clock = testClock();
    s = await createTestServer({ SESSION_MAX_HOURS: '2' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    for (let i = 0; i < 7; i++) {
      clock.advance(15 * MIN);
      expect((await admin.get('/api/auth/me')).status).toBe(200);
    }
    clock.advance(16 * MIN);
    expect((await admin.get('/api/auth/me')).status).toBe(401);
  });

  it('can be listed and revoked; logout revokes', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const second = new TestClient(s.app);
    await second.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    const list = await admin.get('/api/auth/sessions');
    const sessions = list.body.sessions as Array<{ id: string; current: boolean }>;
    expect(sessions).toHaveLength(2);
    const other = sessions.find((x) => !x.current)!;
    expect((await admin.delete(`/api/auth/sessions/${other.id}`)).status).toBe(200);
    expect((await second.get('/api/auth/me')).status).toBe(401);
    const cookie = admin.cookie;
    expect((await admin.post('/api/auth/logout')).status).toBe(200);
    admin.cookie = cookie; // replaying the old cookie does not work either
    expect((await admin.get('/api/auth/me')).status).toBe(401);
  });

  it('a deactivated user loses every session; reactivation does not restore them', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const { client: bob, id } = await addUser(s, admin, 'bob@example.test');
    expect((await bob.get('/api/auth/me')).status).toBe(200);
    expect((await admin.patch(`/api/users/${id}`, { status: 'deactivated' })).status).toBe(200);
    expect((await bob.get('/api/auth/me')).status).toBe(401);
    expect(codeOf(await new TestClient(s.app).post('/api/auth/login', { email: 'bob@example.test', password: PASSWORD }))).toBe('forbidden');
    await admin.patch(`/api/users/${id}`, { status: 'active' });
    expect((await bob.get('/api/auth/me')).status).toBe(401);
  });

  it('a password change revokes the other sessions, not this one', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const other = new TestClient(s.app);
    await other.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    const changed = await admin.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another-Strong-pass-7' });
    expect(changed.status).toBe(200);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    expect((await other.get('/api/auth/me')).status).toBe(401);
    expect(codeOf(await admin.post('/api/auth/password', { currentPassword: 'wrong-password-123', newPassword: 'x-Strong-pass-77' }))).toBe(
      'invalid_credentials',
    );
  });

  it('sets an HttpOnly SameSite=Lax cookie holding no stored value', async () => {
    s = await createTestServer();
    const res = await s.app.request('http://localhost:8000/api/setup/claim', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8000' },
      body: JSON.stringify({ token: s.config.ONSITE_BOOTSTRAP_TOKEN, name: 'A', email: 'a@example.test', password: PASSWORD }),
    });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^onsite_session=[\w-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=8639[89]|Max-Age=86400/);
    const token = /onsite_session=([\w-]+)/.exec(cookie)![1]!;
    const dump = JSON.stringify(s.db.sqlite.prepare('SELECT * FROM sessions').all());
    expect(dump).not.toContain(token);
  });
});

describe('CSRF', () => {
  it('refuses cookie requests without the token or from a foreign origin', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const token = admin.csrf;
    const body = { name: 'k' };

    admin.csrf = undefined;
    const noToken = await admin.post('/api/keys', body);
    expect(noToken.status).toBe(403);
    expect(codeOf(noToken)).toBe('csrf_failed');

    admin.csrf = 'forged';
    expect(codeOf(await admin.post('/api/keys', body))).toBe('csrf_failed');

    admin.csrf = token;
    expect(codeOf(await admin.post('/api/keys', body, { origin: 'http://evil.example' }))).toBe('csrf_failed');
    expect(codeOf(await admin.post('/api/keys', body, { origin: 'null' }))).toBe('csrf_failed');
    expect(codeOf(await admin.post('/api/keys', body, { 'sec-fetch-site': 'cross-site' }))).toBe('csrf_failed');
    expect(s.db.sqlite.prepare('SELECT count(*) AS n FROM api_keys').get()).toEqual({ n: 0 });

    // An HTML form post with the token in the body passes.
    const form = await s.app.request('http://localhost:8000/profile/keys', {
      method: 'POST',
      headers: { cookie: admin.cookie!, origin: 'http://localhost:8000', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token!, name: 'form key' }).toString(),
    });
    expect(form.status).toBe(200);
    expect(await form.text()).toMatch(/osk_\w{12}_/);
    expect((await admin.post('/api/keys', body)).status).toBe(201);
  });

  it('accepts only the configured origins, never one made from the Host header', async () => {
    s = await createTestServer({ ALLOWED_HOSTS: 'onsite.lan' });
    const admin = await claimAdmin(s);
    // The same browser session, on pages the browser loaded from each origin (Host and Origin agree, as they do in a browser).
    const at = (origin: string) => Object.assign(new TestClient(s!.app, origin), { cookie: admin.cookie, csrf: admin.csrf });
    for (const origin of ['http://localhost:1234', 'http://onsite.lan:9999', 'https://onsite.lan:8443', 'https://localhost:8000']) {
      const r = await at(origin).post('/api/keys', { name: origin });
      expect(codeOf(r), origin).toBe('csrf_failed');
    }
    expect(s.db.sqlite.prepare('SELECT count(*) AS n FROM api_keys').get()).toEqual({ n: 0 });
    for (const origin of ['http://localhost:8000', 'http://onsite.lan:8000', 'http://onsite.lan']) {
      expect((await at(origin).post('/api/keys', { name: origin })).status, origin).toBe(201);
    }
  });

  it('refuses a cross-site login form (login CSRF)', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const evil = new TestClient(s.app, 'http://localhost:8000');
    const r = await evil.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD }, { origin: 'http://evil.example' });
    expect(codeOf(r)).toBe('csrf_failed');
  });
});
