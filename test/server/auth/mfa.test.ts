import { afterEach, describe, expect, it } from 'vitest';
import { CHALLENGE_LIMITS } from '../../../server/auth/sign-in-challenges.service.ts';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());
const STEP = 30_000;

const audit = (server: TestServer, action: string) =>
  server.db.sqlite.prepare(`SELECT actor_label AS actor, outcome, target, details FROM audit_log WHERE action = ? ORDER BY id`).all(action) as Array<{
    actor: string;
    outcome: string;
    target: string | null;
    details: string | null;
  }>;

describe('TOTP enrolment and sign-in', () => {
  it('enrol, confirm, then a password sign-in gives a challenge and no session until the code', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    expect((await admin.get('/api/auth/mfa')).body.mfa).toMatchObject({ enabled: false, pending: false, required: false });
    const factor = await enrolMfa(admin, clock.now);
    expect(factor.recoveryCodes).toHaveLength(10);
    expect(new Set(factor.recoveryCodes).size).toBe(10);
    expect((await admin.get('/api/auth/mfa')).body.mfa).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    expect(audit(s, 'mfa.enrol')).toEqual([expect.objectContaining({ actor: 'admin@example.test', outcome: 'success' })]);
    // A confirmed factor cannot be enrolled over.
    expect(codeOf(await admin.post('/api/auth/mfa/enrol'))).toBe('mfa_state');

    const c = new TestClient(s.app);
    const first = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mfaRequired: true, challenge: expect.any(String), expiresAt: expect.any(String) });
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(c.cookie).toBeUndefined();
    const challenge = first.body.challenge as string;

    // The confirming code's step is used up: the same code cannot sign in.
    const replay = await c.post('/api/auth/login/mfa', { challenge, code: factor.code() });
    expect(replay.status).toBe(401);
    expect(codeOf(replay)).toBe('mfa_invalid');
    expect(audit(s, 'auth.login').filter((e) => e.outcome === 'failure')).toEqual([
      expect.objectContaining({ actor: 'admin@example.test', details: JSON.stringify({ reason: 'mfa_invalid' }) }),
    ]);

    clock.advance(STEP);
    const done = await c.post('/api/auth/login/mfa', { challenge, code: factor.code() });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ user: { email: 'admin@example.test' }, csrfToken: expect.any(String) });
    expect((await c.get('/api/auth/me')).status).toBe(200);
    expect(JSON.parse(audit(s, 'auth.login').at(-1)!.details!)).toEqual({ mfa: 'totp' });
    // One use: the finished challenge does not sign in again.
    clock.advance(STEP);
    expect(codeOf(await new TestClient(s.app).post('/api/auth/login/mfa', { challenge, code: factor.code() }))).toBe('token_invalid');
  });

  it('a replayed code is refused on a fresh challenge too', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const factor = await enrolMfa(await claimAdmin(s), clock.now);
    clock.advance(STEP);
    const signIn = async () => {
      const c = new TestClient(s!.app);
      const r = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
      return c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code: factor.code() });
    };
    expect((await signIn()).status).toBe(200);
    expect(codeOf(await signIn())).toBe('mfa_invalid');
    clock.advance(STEP);
    expect((await signIn()).status).toBe(200);
  });

  it('a challenge expires after five minutes and dies after five codes', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const factor = await enrolMfa(await claimAdmin(s), clock.now);
    const c = new TestClient(s.app);
    const challenge = async () => (await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD })).body.challenge as string;

    const stale = await challenge();
    clock.advance(CHALLENGE_LIMITS.ttlMs + 1);
    const expired = await c.post('/api/auth/login/mfa', { challenge: stale, code: factor.code() });
    expect(expired.status).toBe(400);
    expect(codeOf(expired)).toBe('token_invalid');

    const tried = await challenge();
    for (let i = 0; i < CHALLENGE_LIMITS.attempts; i++) {
      const r = await c.post('/api/auth/login/mfa', { challenge: tried, code: '000000' });
      expect(codeOf(r)).toBe('mfa_invalid');
      clock.advance(STEP); // past the throttle's growing wait (5 s, 10 s, 20 s…)
    }
    expect(codeOf(await c.post('/api/auth/login/mfa', { challenge: tried, code: factor.code() }))).toBe('token_invalid');
    expect(codeOf(await c.post('/api/auth/login/mfa', { challenge: 'not-a-challenge', code: factor.code() }))).toBe('token_invalid');
  });

  it('wrong codes count in the sign-in throttle, and a right password does not clear them', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const factor = await enrolMfa(await claimAdmin(s), clock.now);
    clock.advance(STEP);
    const c = new TestClient(s.app);
    const challenge = async () => (await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD })).body.challenge;
    const first = await challenge();
    for (let i = 0; i < 3; i++) expect(codeOf(await c.post('/api/auth/login/mfa', { challenge: first, code: '000000' }))).toBe('mfa_invalid');
    const held = await c.post('/api/auth/login/mfa', { challenge: first, code: factor.code() });
    expect(held.status).toBe(429);
    expect(codeOf(held)).toBe('too_many_attempts');
    expect(held.headers.get('retry-after')).toBe('5');
    // The password is still right, but a fresh challenge gets no fresh guesses.
    const second = await challenge();
    expect(second).toEqual(expect.any(String));
    expect(codeOf(await c.post('/api/auth/login/mfa', { challenge: second, code: factor.code() }))).toBe('too_many_attempts');
    clock.advance(5_000);
    expect((await c.post('/api/auth/login/mfa', { challenge: second, code: factor.code() })).status).toBe(200);
    expect(audit(s, 'auth.lockout')).toHaveLength(1);
  });

  it('a recovery code signs in once, audited', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const factor = await enrolMfa(await claimAdmin(s), clock.now);
    const signIn = async (code: string) => {
      const c = new TestClient(s!.app);
      const r = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
      return c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code });
    };
    const code = factor.recoveryCodes[3]!;
    expect((await signIn(code.toUpperCase().replace('-', ' '))).status).toBe(200);
    expect(codeOf(await signIn(code))).toBe('mfa_invalid');
    expect(audit(s, 'mfa.recovery_code_used')).toEqual([expect.objectContaining({ details: JSON.stringify({ left: 9 }) })]);
  });

  it('stores the secret sealed and the recovery codes hashed: neither is anywhere in the database', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    const factor = await enrolMfa(admin, clock.now);
    const tables = s.db.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
    const dump = tables.map((t) => JSON.stringify(s!.db.sqlite.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
    expect(dump).not.toContain(factor.secret);
    expect(dump.toLowerCase()).not.toContain(factor.secret.toLowerCase());
    for (const code of factor.recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace('-', ''));
    }
    const userId = (s.db.sqlite.prepare(`SELECT id FROM users`).get() as { id: string }).id;
    expect(s.db.sqlite.prepare(`SELECT name FROM sealed_secrets WHERE name = ?`).get(`auth.totp:${userId}`)).toBeTruthy();
    expect(s.secrets.get(`auth.totp:${userId}`)).toBe(factor.secret);
  });

  it('a user turns it off with a current code unless the policy requires it', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'admins' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    await enrolMfa(admin, clock.now);
    const { client: user } = await addUser(s, admin, 'ann@example.test');
    const factor = await enrolMfa(user, clock.now);
    clock.advance(STEP);
    expect(codeOf(await user.post('/api/auth/mfa/disable', { code: '000000' }))).toBe('mfa_invalid');
    expect((await user.post('/api/auth/mfa/disable', { code: factor.code() })).status).toBe(200);
    expect(audit(s, 'mfa.disable').map((e) => [e.actor, e.outcome])).toEqual([
      ['ann@example.test', 'failure'],
      ['ann@example.test', 'success'],
    ]);
    expect((await new TestClient(s.app).post('/api/auth/login', { email: 'ann@example.test', password: PASSWORD })).body.user).toBeTruthy();

    const adminFactorCode = await admin.post('/api/auth/mfa/disable', { code: '123456' });
    expect(codeOf(adminFactorCode)).toBe('mfa_state');
  });

  it('new recovery codes replace the old ones', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    const factor = await enrolMfa(admin, clock.now);
    clock.advance(STEP);
    const fresh = await admin.post('/api/auth/mfa/recovery-codes', { code: factor.code() });
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    const c = new TestClient(s.app);
    const r = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    expect(codeOf(await c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code: factor.recoveryCodes[0] }))).toBe('mfa_invalid');
    expect((await c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code: (fresh.body.recoveryCodes as string[])[0] })).status).toBe(200);
  });
});

describe('admin reset', () => {
  it('DELETE /api/users/:id/mfa removes the factor, signs the user out, and is audited', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    const { client: user, id } = await addUser(s, admin, 'ann@example.test');
    await enrolMfa(user, clock.now);
    const listed = (await admin.get('/api/users')).body.users as Array<{ email: string; mfa: boolean }>;
    expect(listed.map((u) => [u.email, u.mfa])).toEqual([
      ['admin@example.test', false],
      ['ann@example.test', true],
    ]);

    // CSRF like the other user routes: a session without the token is refused.
    const noCsrf = new TestClient(s.app);
    noCsrf.cookie = admin.cookie;
    expect(codeOf(await noCsrf.delete(`/api/users/${id}/mfa`))).toBe('csrf_failed');
    expect(codeOf(await user.delete(`/api/users/${id}/mfa`))).toBe('forbidden');

    const reset = await admin.delete(`/api/users/${id}/mfa`);
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ ok: true, sessionsRevoked: 1 });
    expect((await user.get('/api/auth/me')).status).toBe(401);
    expect(audit(s, 'mfa.reset')).toEqual([
      expect.objectContaining({ actor: 'admin@example.test', target: id, details: JSON.stringify({ email: 'ann@example.test', sessionsRevoked: 1 }) }),
    ]);
    expect(s.secrets.get(`auth.totp:${id}`)).toBeUndefined();
    expect(s.db.sqlite.prepare(`SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = ?`).get(id)).toEqual({ n: 0 });
    expect(((await admin.get('/api/users')).body.users as Array<{ mfa: boolean }>)[1]!.mfa).toBe(false);
    // The next sign-in goes without a code; a second reset has nothing to do.
    expect((await new TestClient(s.app).post('/api/auth/login', { email: 'ann@example.test', password: PASSWORD })).body.user).toBeTruthy();
    expect(codeOf(await admin.delete(`/api/users/${id}/mfa`))).toBe('mfa_state');
    expect(codeOf(await admin.delete(`/api/users/nobody/mfa`))).toBe('not_found');
  });
});
