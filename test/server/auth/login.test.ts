import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { THROTTLE } from '../../../server/auth/login-service.ts';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const login = (c: TestClient, email: string, password: string) => c.post('/api/auth/login', { email, password });

describe('sign-in throttling', () => {
  it('answers an unknown email and a wrong password identically', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const c = new TestClient(s.app);
    const unknown = await login(c, 'nobody@example.test', 'some-Wrong-password-1');
    const wrong = await login(c, 'admin@example.test', 'some-Wrong-password-1');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(codeOf(unknown)).toBe('invalid_credentials');
  });

  it(`locks an account after ${THROTTLE.accountFailures} failures, for the right password too, until the lock ends`, async () => {
    const clock = testClock();
    s = await createTestServer({}, { clock: clock.now });
    await claimAdmin(s);
    const c = new TestClient(s.app);
    for (let i = 0; i < THROTTLE.accountFailures; i++) expect(codeOf(await login(c, 'admin@example.test', `wrong-password-${i}x`))).toBe('invalid_credentials');
    const locked = await login(c, 'admin@example.test', PASSWORD);
    expect(locked.status).toBe(429);
    expect(codeOf(locked)).toBe('account_locked');
    expect((locked.body.error as { message: string }).message).toMatch(/locked.*try again in 15 min/);
    // An unknown email locks the same way, so a lock reveals nothing.
    for (let i = 0; i < THROTTLE.accountFailures; i++) await login(c, 'ghost@example.test', `wrong-password-${i}x`);
    expect(codeOf(await login(c, 'ghost@example.test', PASSWORD))).toBe('account_locked');
    clock.advance(THROTTLE.lockMs + 1000);
    expect((await login(c, 'admin@example.test', PASSWORD)).status).toBe(200);
    const audit = s.db.sqlite.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'auth.lockout'`).get();
    expect(audit).toEqual({ n: 2 });
  });

  it('counts parallel guesses too: a burst cannot slip past the account limit', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const c = new TestClient(s.app);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(c, 'admin@example.test', `parallel-guess-${i}x`)));
    const codes = results.map(codeOf);
    expect(codes.filter((x) => x === 'invalid_credentials').length).toBeLessThanOrEqual(THROTTLE.accountFailures);
    expect(codes.filter((x) => x === 'account_locked').length).toBeGreaterThanOrEqual(20 - THROTTLE.accountFailures);
  });

  it('refuses redirects off the site after sign-in', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    for (const next of ['/%09/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example', '/%0a/evil.example']) {
      const res = await s.app.request(`/login?next=${next}`, { headers: { cookie: admin.cookie! } });
      expect(res.headers.get('location'), next).toBe('/');
    }
    const ok = await s.app.request('/login?next=/profile', { headers: { cookie: admin.cookie! } });
    expect(ok.headers.get('location')).toBe('/profile');
  });

  it(`locks an address after ${THROTTLE.addressFailures} failures across accounts`, async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const c = new TestClient(s.app);
    for (let i = 0; i < THROTTLE.addressFailures; i++) {
      expect(codeOf(await login(c, `user${i}@example.test`, 'wrong-password-1x'))).toBe('invalid_credentials');
    }
    const r = await login(c, 'admin@example.test', PASSWORD);
    expect(codeOf(r)).toBe('address_locked');
    expect(r.headers.get('retry-after')).toBe('900');
  });

  it('onsite admin reset-password lets a locked-out admin in again, audited', { timeout: 60_000 }, async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const c = new TestClient(s.app);
    for (let i = 0; i < THROTTLE.accountFailures; i++) await login(c, 'admin@example.test', `forgotten-pass-${i}`);
    expect(codeOf(await login(c, 'admin@example.test', PASSWORD))).toBe('account_locked');

    // The real CLI, as an operator runs it (a separate process on the same data folder).
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'admin', 'reset-password', 'ADMIN@example.test'], {
      env: { ...s.env, PATH: process.env.PATH },
      encoding: 'utf8',
    });
    const url = /^(http:\/\/\S+\/reset\/[\w-]+)$/m.exec(out)?.[1];
    expect(url, out).toBeTruthy();
    const token = url!.split('/').pop()!;
    const newPassword = 'brand-New-password-42';
    expect((await c.post('/api/auth/accept', { kind: 'reset', token, password: newPassword })).status).toBe(200);
    expect(codeOf(await c.post('/api/auth/accept', { kind: 'reset', token, password: newPassword }))).toBe('token_invalid');
    expect((await login(c, 'admin@example.test', newPassword)).status).toBe(200);
    const actions = s.db.sqlite.prepare(`SELECT action, actor_label AS actor FROM audit_log WHERE action IN ('admin.reset_password', 'user.password_reset') ORDER BY id`).all();
    expect(actions).toEqual([
      { action: 'admin.reset_password', actor: 'cli' },
      { action: 'user.password_reset', actor: 'admin@example.test' },
    ]);
  });
});
