import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGN_IN_THROTTLE } from '../../../server/auth/sign-in-throttle.service.ts';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const login = (c: TestClient, email: string, password: string) => c.post('/api/auth/login', { email, password });

describe('sign-in', () => {
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

  it('onsite admin reset-password lets a locked-out admin in again, revoking the API keys, audited', { timeout: 60_000 }, async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const key = (await admin.post('/api/keys', { name: 'ci' })).body.key as string;
    const c = new TestClient(s.app);
    for (let i = 0; i < SIGN_IN_THROTTLE.pair.free; i++) await login(c, 'admin@example.test', `forgotten-pass-${i}`);
    expect(codeOf(await login(c, 'admin@example.test', PASSWORD))).toBe('too_many_attempts');

    // The real CLI, as an operator runs it (a separate process on the same data folder).
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'admin', 'reset-password', 'ADMIN@example.test'], {
      env: { ...s.env, PATH: process.env.PATH },
      encoding: 'utf8',
    });
    const url = /^(http:\/\/\S+\/reset\/[\w-]+)$/m.exec(out)?.[1];
    expect(url, out).toBeTruthy();
    expect(out).toContain('revokes its API keys (1 active)');
    const token = url!.split('/').pop()!;
    const newPassword = 'brand-New-password-42';
    expect((await c.post('/api/auth/accept', { kind: 'reset', token, password: newPassword })).status).toBe(200);
    expect(codeOf(await c.post('/api/auth/accept', { kind: 'reset', token, password: newPassword }))).toBe('token_invalid');
    expect((await login(c, 'admin@example.test', newPassword)).status).toBe(200);
    expect((await s.app.request('/api/auth/me', { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    const actions = s.db.sqlite
      .prepare(`SELECT action, actor_label AS actor FROM audit_log WHERE action IN ('admin.reset_password', 'user.password_reset') ORDER BY id`)
      .all();
    expect(actions).toEqual([
      { action: 'admin.reset_password', actor: 'cli' },
      { action: 'user.password_reset', actor: 'admin@example.test' },
    ]);
  });

  it(
    'break-glass: with SSO and LOCAL_LOGIN=admins only local admins use a password, and onsite admin reset-password still lets one in',
    { timeout: 60_000 },
    async () => {
      // No provider needs to answer: local sign-in never calls it. Port 9 on loopback: nothing listens.
      s = await createTestServer({ OIDC_ISSUER_URL: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'onsite', LOCAL_LOGIN: 'admins' });
      const admin = await claimAdmin(s);
      await admin.post('/api/users', { email: 'user@example.test', name: 'User', role: 'user', password: PASSWORD });
      const c = new TestClient(s.app);
      expect(codeOf(await login(c, 'user@example.test', PASSWORD))).toBe('local_login_disabled');

      const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'admin', 'reset-password', 'admin@example.test'], {
        env: { ...s.env, PATH: process.env.PATH },
        encoding: 'utf8',
      });
      const token = /\/reset\/([\w-]+)$/m.exec(out)?.[1];
      expect(token, out).toBeTruthy();
      expect((await c.post('/api/auth/accept', { kind: 'reset', token, password: 'brand-New-password-42' })).status).toBe(200);
      expect((await login(c, 'admin@example.test', 'brand-New-password-42')).status).toBe(200);
    },
  );
});
