// LDAP sign-in end to end: a real slapd, the assembled server on loopback HTTP.
import { readFileSync, existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGN_IN_THROTTLE } from '../../../server/auth/sign-in-throttle.service.ts';
import type { Env } from '../../../server/config.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { apiSignIn, formSignIn, ldapEnv } from '../../helpers/ldap.ts';
import { serveOnLoopback, type LoopbackServer } from '../../helpers/loopback.ts';
import { createTestServer, observe, type TestServer } from '../../helpers/server.ts';
import { SERVICE_PASSWORD, startSlapd, USERS, type Slapd } from '../../helpers/slapd.ts';

let slapd: Slapd;
let s: TestServer | undefined;
let http: LoopbackServer | undefined;

beforeEach(async () => {
  slapd = await startSlapd();
});
afterEach(async () => {
  await http?.close();
  s?.cleanup();
  [http, s] = [undefined, undefined];
  await slapd.stop();
});

async function serve(extra: Env = {}, options: { license?: number } = {}) {
  s = await createTestServer(ldapEnv(slapd, extra), options);
  http = await serveOnLoopback(s.app);
  return { s, http };
}
const audit = (action: string) =>
  (
    s!.db.sqlite.prepare(`SELECT actor_label AS actor, outcome, target, details FROM audit_log WHERE action = ? ORDER BY id`).all(action) as {
      actor: string;
      outcome: string;
      target: string | null;
      details: string | null;
    }[]
  ).map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));
const me = async (cookie: string | undefined) => (await http!.from('127.0.0.1', 'GET', '/api/auth/me', { headers: { cookie: cookie ?? '' } })).body;

describe('LDAP sign-in', () => {
  it('signs in by directory name or email through the API, creates the account once, and never stores the password', async () => {
    await serve();
    const first = await apiSignIn(http!, 'alice', USERS.alice.password);
    expect(first.status, first.text).toBe(200);
    expect((await me(first.cookie)).user).toMatchObject({ email: 'alice@example.test', name: 'Alice Admin', role: 'admin' });
    const again = await apiSignIn(http!, 'Alice@Example.test', USERS.alice.password);
    expect(again.status).toBe(200);
    expect(audit('user.jit_create')).toHaveLength(1);
    const row = s!.db.sqlite.prepare(`SELECT u.password_hash AS hash, i.provider, i.label FROM users u JOIN user_identities i ON i.user_id = u.id`).get();
    expect(row).toEqual({ hash: null, provider: 'ldap', label: USERS.alice.dn });
    expect(audit('auth.login').filter((r) => r.outcome === 'success')).toHaveLength(2);
    s!.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(s!.config.dbPath).includes('alice@example.test')).toBe(true); // the file is readable as it is
    for (const f of [s!.config.dbPath, `${s!.config.dbPath}-wal`].filter(existsSync)) expect(readFileSync(f).includes(USERS.alice.password)).toBe(false);
    expect(s!.logs.text()).not.toContain(USERS.alice.password);
    expect(s!.logs.text()).not.toContain(SERVICE_PASSWORD);
  });

  it('signs in through the HTML form, which takes a directory user name', async () => {
    await serve();
    await claimAdmin(s!); // before the first admin, /login sends to /setup
    const page = await http!.from('127.0.0.1', 'GET', '/login');
    expect(page.text).toMatch(/Email or user name/);
    expect(page.text).not.toMatch(/type="email"/);
    const r = await formSignIn(http!, 'bob', USERS.bob.password);
    expect(r.status).toBe(303);
    expect((await me(r.cookie)).user).toMatchObject({ email: 'bob@example.test', role: 'user' });
    const wrong = await formSignIn(http!, 'bob', 'not-his-password');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('incorrect');
  });

  it('counts and audits wrong passwords like local ones, with the reason', async () => {
    await serve();
    const codes: (string | undefined)[] = [];
    for (let i = 0; i <= SIGN_IN_THROTTLE.pair.free; i++) codes.push((await apiSignIn(http!, 'bob', `wrong-${i}`)).code);
    expect(codes.slice(0, SIGN_IN_THROTTLE.pair.free)).toEqual(Array(SIGN_IN_THROTTLE.pair.free).fill('invalid_credentials'));
    expect(codes.at(-1)).toBe('too_many_attempts');
    expect(audit('auth.login')[0]).toMatchObject({ actor: 'bob', outcome: 'failure', details: { method: 'ldap', reason: 'wrong_password' } });
    expect((await apiSignIn(http!, 'nobody', 'x', '127.0.0.3')).code).toBe('invalid_credentials');
    expect(audit('auth.login').at(-1)).toMatchObject({ details: { method: 'ldap', reason: 'unknown_user' } });
  });

  it('re-evaluates the role from the groups at every sign-in, audited', async () => {
    await serve();
    expect((await me((await apiSignIn(http!, 'bob', USERS.bob.password)).cookie)).user).toMatchObject({ role: 'user' });
    await slapd.addToGroup('admins', USERS.bob.dn);
    expect((await me((await apiSignIn(http!, 'bob', USERS.bob.password)).cookie)).user).toMatchObject({ role: 'admin' });
    await slapd.removeFromGroup('admins', USERS.bob.dn);
    await claimAdmin(s!); // so bob is not the last admin
    expect((await me((await apiSignIn(http!, 'bob', USERS.bob.password)).cookie)).user).toMatchObject({ role: 'user' });
    expect(audit('user.role_from_groups').map((r) => [r.details?.from, r.details?.to])).toEqual([
      ['user', 'admin'],
      ['admin', 'user'],
    ]);
  });

  it('refuses users outside the allowed groups and disabled users, audited', async () => {
    await serve();
    const carol = await apiSignIn(http!, 'carol', USERS.carol.password);
    expect([carol.status, carol.code]).toEqual([403, 'sso_not_allowed']);
    expect(audit('auth.sso_login')).toMatchObject([{ outcome: 'failure', details: { provider: 'ldap', reason: 'not_in_allowed_groups' } }]);
    await slapd.disable(USERS.bob.dn);
    expect((await apiSignIn(http!, 'bob', USERS.bob.password)).code).toBe('invalid_credentials');
    expect(audit('auth.login').at(-1)).toMatchObject({ outcome: 'failure', details: { method: 'ldap', reason: 'disabled' } });
    expect(s!.identity.users.list().map((u) => u.email)).toEqual([]);
  });

  it('a directory that stops answering: directory_unreachable within the timeout, /health/ready degraded, local admins still sign in', async () => {
    await serve();
    await claimAdmin(s!);
    expect(await (await observe(s!, '/health/ready')).json()).toMatchObject({ checks: { directory: { ok: true } } });
    slapd.freeze();
    try {
      const started = Date.now();
      const r = await apiSignIn(http!, 'alice', USERS.alice.password);
      expect([r.status, r.code]).toEqual([503, 'directory_unreachable']);
      expect(Date.now() - started).toBeLessThan(4_000); // LDAP_TIMEOUT_S=1, and room for a loaded CI machine
      const ready = await observe(s!, '/health/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { directory: { ok: false, reason: 'directory_unreachable', critical: false } } });
      expect((await apiSignIn(http!, 'admin@example.test', PASSWORD)).status).toBe(200);
      expect(audit('auth.login').find((a) => a.details?.reason === 'directory_unreachable')).toBeTruthy();
    } finally {
      slapd.thaw();
    }
    await slapd.stop();
    expect(await (await observe(s!, '/health/ready')).json()).toMatchObject({ checks: { directory: { reason: 'directory_unreachable' } } });
  });
});

describe('LOCAL_LOGIN', () => {
  it('admins: local users must use the directory, local admins keep their password', async () => {
    await serve({ LOCAL_LOGIN: 'admins' });
    const admin = await claimAdmin(s!);
    await expect(addUser(s!, admin, 'local@example.test')).rejects.toThrow(/local_login_disabled/);
    expect((await apiSignIn(http!, 'admin@example.test', PASSWORD)).status).toBe(200);
    expect((await apiSignIn(http!, 'local@example.test', 'wrong-password')).code).toBe('invalid_credentials');
    expect((await apiSignIn(http!, 'bob', USERS.bob.password)).status).toBe(200);
  });

  it('a local admin with a second factor is still asked for the code when LDAP is on', async () => {
    await serve({ LOCAL_LOGIN: 'admins' });
    const admin = await claimAdmin(s!);
    await enrolMfa(admin, Date.now);
    const r = await apiSignIn(http!, 'admin@example.test', PASSWORD);
    expect([r.status, r.body.mfaRequired, r.cookie]).toEqual([200, true, undefined]);
    expect((await apiSignIn(http!, 'alice', USERS.alice.password)).cookie).toBeTruthy(); // directory sign-ins are not asked
  });

  it('off: local admins only while no admin can sign in through the directory (break-glass, logged)', async () => {
    await serve({ LOCAL_LOGIN: 'off' });
    await claimAdmin(s!);
    expect((await apiSignIn(http!, 'admin@example.test', PASSWORD)).status).toBe(200);
    expect(s!.logs.text()).toContain('break-glass');
    expect((await apiSignIn(http!, 'alice', USERS.alice.password)).status).toBe(200); // a directory admin now
    const refused = await apiSignIn(http!, 'admin@example.test', PASSWORD);
    expect([refused.status, refused.code]).toEqual([403, 'local_login_disabled']);
    expect(audit('auth.login').at(-1)).toMatchObject({ outcome: 'failure', details: { reason: 'local_login_disabled' } });
  });
});
