import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const bearer = (s: TestServer, key: string, path = '/api/auth/me', init: RequestInit = {}) =>
  s.app.request(path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });

describe('API keys', () => {
  it('a created key authenticates, a revoked one does not, and the database holds no usable key', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const created = await admin.post('/api/keys', { name: 'ci' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^osk_[A-Za-z0-9]{12}_[\w-]{43}$/);
    expect(created.headers.get('cache-control')).toBe('no-store');

    const me = await bearer(s, key);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { via: string }).via).toBe('key');
    // The key carries no ambient authority (no CSRF token needed), and it cannot mint more keys.
    const minted = await bearer(s, key, '/api/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"second"}' });
    expect(minted.status).toBe(403);
    expect(((await minted.json()) as { error: { code: string } }).error.code).toBe('session_required');

    const listed = await admin.get('/api/keys');
    const entry = (listed.body.keys as Array<Record<string, unknown>>).find((k) => k.name === 'ci')!;
    expect(entry.prefix).toBe(key.slice(0, 16));
    expect(Date.parse(entry.lastUsedAt as string)).toBeGreaterThanOrEqual(Date.parse(entry.createdAt as string));
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(17));

    // Nothing in any table can be presented as the key.
    const dump = s.db.sqlite
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%vec%'`)
      .all()
      .map((t) => JSON.stringify(s!.db.sqlite.prepare(`SELECT * FROM "${(t as { name: string }).name}"`).all()))
      .join('\n');
    expect(dump).not.toContain(key.slice(17));
    expect(dump).not.toContain(key);

    expect((await admin.delete(`/api/keys/${entry.id}`)).status).toBe(200);
    expect((await bearer(s, key)).status).toBe(401);
    expect(codeOf(await admin.delete(`/api/keys/${entry.id}`))).toBe('not_found');
  });

  it('rejects malformed and forged keys, and keys of deactivated users', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const { client: bob, id } = await addUser(s, admin, 'bob@example.test');
    const key = (await bob.post('/api/keys', { name: 'bob' })).body.key as string;
    const forged = `${key.slice(0, 17)}${'A'.repeat(43)}`;
    for (const k of ['', 'osk_', 'Bearer', forged, `${key}x`]) expect((await bearer(s, k)).status).toBe(401);
    // A user cannot revoke someone else's key.
    const bobKeyId = ((await bob.get('/api/keys')).body.keys as Array<{ id: string }>)[0]!.id;
    expect(codeOf(await admin.delete(`/api/keys/${bobKeyId}`))).toBe('not_found');
    await admin.patch(`/api/users/${id}`, { status: 'deactivated' });
    expect((await bearer(s, key)).status).toBe(401);
  });
});

describe('user administration', () => {
  it('admins only; the last active admin cannot be demoted or deactivated', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const { client: bob, id: bobId } = await addUser(s, admin, 'bob@example.test');
    expect((await bob.get('/api/users')).status).toBe(403);
    expect((await new TestClient(s.app).get('/api/users')).status).toBe(401);
    const adminId = ((await admin.get('/api/auth/me')).body.user as { id: string }).id;
    expect(codeOf(await admin.patch(`/api/users/${adminId}`, { role: 'user' }))).toBe('last_admin');
    expect(codeOf(await admin.patch(`/api/users/${adminId}`, { status: 'deactivated' }))).toBe('last_admin');
    expect((await admin.patch(`/api/users/${bobId}`, { role: 'admin' })).status).toBe(200);
    expect((await admin.patch(`/api/users/${adminId}`, { role: 'user' })).status).toBe(200);
    expect(codeOf(await admin.post('/api/users', { email: 'bob@example.test', name: 'Dup' }))).toBe('forbidden');
    expect(codeOf(await bob.post('/api/users', { email: 'BOB@example.test', name: 'Dup' }))).toBe('email_taken');
    const changes = s.db.sqlite.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'user.update'`).get();
    expect(changes).toEqual({ n: 2 });
  });

  it('an invite link sets the first password once', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const invited = await admin.post('/api/users', { email: 'carol@example.test', name: 'Carol' });
    expect(invited.status).toBe(201);
    const token = (invited.body.inviteUrl as string).split('/invite/')[1]!;
    const c = new TestClient(s.app);
    expect(codeOf(await c.post('/api/auth/login', { email: 'carol@example.test', password: 'anything-at-all-1' }))).toBe('invalid_credentials');
    expect(codeOf(await c.post('/api/auth/accept', { kind: 'invite', token, password: 'short' }))).toBe('weak_password');
    expect((await c.post('/api/auth/accept', { kind: 'invite', token, password: 'Own-Secret-for-me-5' })).status).toBe(200);
    expect(codeOf(await c.post('/api/auth/accept', { kind: 'invite', token, password: 'Own-Secret-for-me-6' }))).toBe('token_invalid');
    expect((await c.post('/api/auth/login', { email: 'carol@example.test', password: 'Own-Secret-for-me-5' })).status).toBe(200);
  });
});
