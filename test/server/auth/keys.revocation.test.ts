import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, ORIGIN, PASSWORD, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const withKey = (key: string, method: string, path: string, body?: string, type = 'application/json') =>
  s!.app.request(`${ORIGIN}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
const works = async (key: string) => (await withKey(key, 'GET', '/api/auth/me')).status === 200;
const newKey = async (c: TestClient, name: string) => (await c.post('/api/keys', { name })).body.key as string;
const form = (c: TestClient, path: string, fields: Record<string, string>) =>
  s!.app.request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { cookie: c.cookie!, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: c.csrf!, ...fields }).toString(),
  });
const page = async (c: TestClient, path: string) => (await s!.app.request(`${ORIGIN}${path}`, { headers: { cookie: c.cookie! } })).text();
const auditDetails = (action: string) =>
  (s!.db.sqlite.prepare(`SELECT details FROM audit_log WHERE action = ? AND outcome = 'success' ORDER BY id`).all(action) as Array<{ details: string }>).map(
    (r) => JSON.parse(r.details) as unknown,
  );

describe('a new password revokes the API keys of the old one', () => {
  it('a password change revokes every key of the user in the same write, audited with the count; the profile says so before and after', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const { client: bob } = await addUser(s, admin, 'bob@example.test');
    const bobKey = await newKey(bob, 'bob');
    const keys = [await newKey(admin, 'ci'), await newKey(admin, 'laptop')];
    const gone = await newKey(admin, 'old');
    const goneId = ((await admin.get('/api/keys')).body.keys as Array<{ id: string; name: string }>).find((k) => k.name === 'old')!.id;
    await admin.delete(`/api/keys/${goneId}`);
    expect(await page(admin, '/profile')).toContain('revokes all your API keys (2 active)');

    const changed = await admin.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another-Strong-pass-7' });
    expect(changed.body).toEqual({ ok: true, sessionsRevoked: 0, keysRevoked: 2 });
    for (const k of [...keys, gone]) expect(await works(k)).toBe(false);
    expect(await works(bobKey)).toBe(true); // someone else's keys are untouched
    expect(auditDetails('user.password_change')).toEqual([{ sessionsRevoked: 0, keysRevoked: 2 }]);

    // The profile form: the same, and it says what it did.
    const third = await newKey(admin, 'again');
    const res = await form(admin, '/profile/password', { currentPassword: 'another-Strong-pass-7', newPassword: 'yet-Another-pass-8' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Password changed: 0 sessions signed out and 1 API key revoked.');
    expect(await works(third)).toBe(false);
  });

  it('a reset link revokes the keys when the new password is set, and the pages say so before and after', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const { client: bob, id } = await addUser(s, admin, 'bob@example.test');
    const keys = [await newKey(bob, 'one'), await newKey(bob, 'two')];

    // Said before: on the admin page that makes the link, and on the form that uses it.
    const made = await form(admin, `/admin/users/${id}/reset-link`, {});
    expect(await made.text()).toContain('revokes its API keys (2 active)');
    const url = (await admin.post(`/api/users/${id}/reset-link`)).body.url as string;
    const path = new URL(url).pathname;
    expect(await (await s.app.request(`${ORIGIN}${path}`)).text()).toContain('revokes its API keys (2 active)');
    for (const k of keys) expect(await works(k)).toBe(true); // only setting the password revokes them

    // Said after, on the sign-in page the form leads to.
    const done = await s.app.request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: 'bobs-New-password-3' }).toString(),
    });
    expect(await done.text()).toContain('Your password is set: 1 session signed out and 2 API keys revoked.');
    for (const k of keys) expect(await works(k)).toBe(false);
    expect(auditDetails('user.password_reset')).toEqual([{ sessionsRevoked: 1, keysRevoked: 2 }]);

    // The JSON form of the same link says it too.
    const key = await newKey(await signedIn(s, 'bob@example.test', 'bobs-New-password-3'), 'three');
    const token = ((await admin.post(`/api/users/${id}/reset-link`)).body.url as string).split('/reset/')[1]!;
    const accepted = await new TestClient(s.app).post('/api/auth/accept', { kind: 'reset', token, password: 'bobs-Newer-password-4' });
    expect(accepted.body).toMatchObject({ sessionsRevoked: 1, keysRevoked: 1 });
    expect(await works(key)).toBe(false);
  });
});

describe('one transaction', () => {
  it('a password change that cannot be audited changes nothing: the old password, sessions and keys all still work', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const other = await signedIn(s, 'admin@example.test', PASSWORD);
    const key = await newKey(admin, 'ci');
    // The last write of the transaction fails (the audit entry).
    s.db.sqlite.exec(
      `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'user.password_change' AND NEW.outcome = 'success' BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    expect((await admin.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another-Strong-pass-7' })).status).toBe(500);
    s.db.sqlite.exec('DROP TRIGGER fail_audit');
    expect(await works(key)).toBe(true);
    expect((await other.get('/api/auth/me')).status).toBe(200);
    expect((await new TestClient(s.app).post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD })).status).toBe(200);
  });
});

async function signedIn(server: TestServer, email: string, password: string): Promise<TestClient> {
  const c = new TestClient(server.app);
  expect((await c.post('/api/auth/login', { email, password })).status).toBe(200);
  return c;
}

describe('what needs a browser session, not an API key', () => {
  it('a key cannot make or revoke keys, change the password, or see or end sessions (403 session_required); it may list keys', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const key = await newKey(admin, 'ci');
    const keyId = ((await admin.get('/api/keys')).body.keys as Array<{ id: string }>)[0]!.id;
    const sessionId = ((await admin.get('/api/auth/sessions')).body.sessions as Array<{ id: string }>)[0]!.id;
    const refused: Array<[string, string, string?, string?]> = [
      ['POST', '/api/keys', '{"name":"more"}'],
      ['DELETE', `/api/keys/${keyId}`],
      ['POST', '/api/auth/password', JSON.stringify({ currentPassword: PASSWORD, newPassword: 'stolen-Key-pass-9' })],
      ['GET', '/api/auth/sessions'],
      ['DELETE', `/api/auth/sessions/${sessionId}`],
      ['GET', '/profile'],
      [
        'POST',
        '/profile/password',
        new URLSearchParams({ currentPassword: PASSWORD, newPassword: 'stolen-Key-pass-9' }).toString(),
        'application/x-www-form-urlencoded',
      ],
      ['POST', '/profile/keys', 'name=more', 'application/x-www-form-urlencoded'],
      ['POST', `/profile/keys/${keyId}/revoke`, '', 'application/x-www-form-urlencoded'],
      ['POST', `/profile/sessions/${sessionId}/revoke`, '', 'application/x-www-form-urlencoded'],
    ];
    for (const [method, path, body, type] of refused) {
      const res = await withKey(key, method, path, body, type);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code, `${method} ${path}`).toBe('session_required');
    }
    // Nothing changed: one key, the session alive, the old password still good.
    expect((await withKey(key, 'GET', '/api/keys')).status).toBe(200);
    expect(((await admin.get('/api/keys')).body.keys as unknown[]).length).toBe(1);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    expect((await new TestClient(s.app).post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD })).status).toBe(200);
    expect(codeOf(await admin.post('/api/keys', { name: 'browser' }))).toBeUndefined();
  });
});
