import { afterEach, describe, expect, it } from 'vitest';
import type { ExternalProfile } from '../../../server/auth/directory-accounts.service.ts';
import { decideGroups, inAnyGroup } from '../../../server/auth/group-rules.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const rules = { adminGroups: ['onsite-admins'], allowedGroups: ['staff'] };
const meta = { ip: '127.0.0.1', method: 'oidc' as const };
const profile = (over: Partial<ExternalProfile> = {}): ExternalProfile => ({
  provider: 'oidc',
  issuer: 'https://idp.example.test',
  subject: 'sub-alice',
  email: 'alice@example.test',
  name: 'Alice',
  groups: ['staff'],
  ...over,
});
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  return undefined;
};
const actions = (t: TestServer, action: string) => t.identity.audit.list({ action, limit: 100 });

describe('group rules', () => {
  it('match a group by its name, its DN or its CN, ignoring case', () => {
    expect(inAnyGroup(['cn=Staff,ou=groups,dc=example,dc=org'], ['staff'])).toBe(true);
    expect(inAnyGroup(['CN=Staff,OU=groups,DC=example,DC=org'], ['cn=staff,ou=groups,dc=example,dc=org'])).toBe(true);
    expect(inAnyGroup(['cn=a\\,b,ou=g'], ['a,b'])).toBe(true);
    expect(inAnyGroup(['/staff'], ['staff'])).toBe(false);
    expect(inAnyGroup(['staff-2'], ['staff'])).toBe(false);
  });

  it('let admin groups in, keep the rest of the world out when allowed groups are set, and let everyone in when not', () => {
    expect(decideGroups(['onsite-admins'], rules)).toEqual({ allowed: true, role: 'admin' });
    expect(decideGroups(['staff'], rules)).toEqual({ allowed: true, role: 'user' });
    expect(decideGroups(['sales'], rules)).toEqual({ allowed: false });
    expect(decideGroups([], { adminGroups: [], allowedGroups: [] })).toEqual({ allowed: true, role: 'user' });
  });
});

describe('directory accounts', () => {
  it('creates the account at the first sign-in, finds it by (issuer, subject) afterwards, audited', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const first = s.identity.directory.signIn(profile(), rules, meta);
    expect(first.created).toBe(true);
    expect(first.user).toMatchObject({ email: 'alice@example.test', name: 'Alice', role: 'user' });
    // A changed email at the provider is still the same person: the subject decides.
    const again = s.identity.directory.signIn(profile({ email: 'alice.new@example.test' }), rules, meta);
    expect(again.created).toBe(false);
    expect(again.user.id).toBe(first.user.id);
    expect(s.identity.users.list()).toHaveLength(2);
    expect(actions(s, 'user.jit_create')).toHaveLength(1);
    expect(s.identity.sessions.authenticate(again.token)?.session.method).toBe('oidc');
  });

  it('re-evaluates the role from groups at every sign-in, audited', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const a = s.identity.directory.signIn(profile({ groups: ['staff', 'onsite-admins'] }), rules, meta);
    expect(a.user.role).toBe('admin');
    const b = s.identity.directory.signIn(profile({ groups: ['staff'] }), rules, meta);
    expect(b.user.role).toBe('user');
    expect(actions(s, 'user.role_from_groups')[0]?.details).toMatchObject({ from: 'admin', to: 'user' });
  });

  it('refuses a user outside the allowed groups, ends their sessions, and creates nothing for a newcomer', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const ok = s.identity.directory.signIn(profile(), rules, meta);
    expect(codeOf(() => s!.identity.directory.signIn(profile({ groups: ['sales'] }), rules, meta))).toBe('sso_not_allowed');
    expect(s.identity.sessions.authenticate(ok.token)).toBeUndefined();
    expect(codeOf(() => s!.identity.directory.signIn(profile({ subject: 'sub-bob', email: 'bob@example.test', groups: [] }), rules, meta))).toBe(
      'sso_not_allowed',
    );
    expect(s.identity.users.list().map((u) => u.email)).not.toContain('bob@example.test');
    expect(actions(s, 'auth.sso_login').map((e) => e.details?.reason)).toEqual(['not_in_allowed_groups', 'not_in_allowed_groups']);
  });

  it('never takes over a local account by email: an admin links it explicitly', async () => {
    s = await createTestServer();
    await claimAdmin(s, 'alice@example.test');
    expect(codeOf(() => s!.identity.directory.signIn(profile({ groups: ['onsite-admins'] }), rules, meta))).toBe('identity_unlinked');
    expect(s.identity.users.list()).toHaveLength(1);
    const failure = actions(s, 'auth.sso_login')[0]!;
    expect(failure.details).toMatchObject({ reason: 'identity_unlinked', subject: 'sub-alice' });
    const alice = s.identity.users.list()[0]!;
    s.identity.directory.link(alice.id, { provider: 'oidc', issuer: 'https://idp.example.test', subject: 'sub-alice' }, { label: 'admin' });
    const r = s.identity.directory.signIn(profile({ groups: ['onsite-admins'] }), rules, meta);
    expect(r.user.id).toBe(alice.id);
    expect(actions(s, 'user.identity_link')).toHaveLength(1);
    expect(
      codeOf(() => s!.identity.directory.link(alice.id, { provider: 'oidc', issuer: 'https://idp.example.test', subject: 'sub-alice' }, { label: 'x' })),
    ).toBe('conflict');
  });

  it('counts new accounts against the seats: past them nothing is created', async () => {
    s = await createTestServer({}, { license: 2 });
    await claimAdmin(s);
    s.identity.directory.signIn(profile(), rules, meta);
    expect(codeOf(() => s!.identity.directory.signIn(profile({ subject: 'sub-bob', email: 'bob@example.test' }), rules, meta))).toBe('seats_exceeded');
    expect(s.identity.users.list()).toHaveLength(2);
    expect(actions(s, 'auth.sso_login')[0]?.details).toMatchObject({ reason: 'seats' });
  });

  it('refuses a profile without a usable email or subject', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    expect(codeOf(() => s!.identity.directory.signIn(profile({ email: 'not an email' }), rules, meta))).toBe('sso_failed');
    expect(codeOf(() => s!.identity.directory.signIn(profile({ subject: '' }), rules, meta))).toBe('sso_failed');
    expect(s.identity.users.list()).toHaveLength(1);
  });

  it('ends a directory session after SSO_RECHECK_MINUTES, so the groups are asked again', async () => {
    const clock = testClock();
    s = await createTestServer({ SSO_RECHECK_MINUTES: '15', AUTH_IDLE_TIMEOUT_MINUTES: '600' }, { clock: clock.now });
    await claimAdmin(s);
    const r = s.identity.directory.signIn(profile(), rules, meta);
    clock.advance(14 * 60_000);
    expect(s.identity.sessions.authenticate(r.token)).toBeDefined();
    clock.advance(2 * 60_000);
    expect(s.identity.sessions.authenticate(r.token)).toBeUndefined();
  });

  it('deactivates an account the directory dropped, freeing its seat, but never the last admin', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const r = s.identity.directory.signIn(profile(), rules, meta);
    const [identity] = s.identity.directory.identitiesOf(r.user.id);
    const before = s.identity.users.activeCount();
    expect(s.identity.directory.deactivateFromDirectory(identity!.id, 'removed', { label: 'directory-sync' })).toBe(true);
    expect(s.identity.users.activeCount()).toBe(before - 1);
    expect(s.identity.sessions.authenticate(r.token)).toBeUndefined();
    expect(codeOf(() => s!.identity.directory.signIn(profile(), rules, meta))).toBe('forbidden');
    expect(actions(s, 'directory.sync_deactivate')[0]?.details).toMatchObject({ reason: 'removed' });

    // A directory admin who is the only admin left stays.
    const t = await createTestServer();
    try {
      const boss = t.identity.directory.signIn(profile({ groups: ['onsite-admins'] }), rules, meta);
      const [bossIdentity] = t.identity.directory.identitiesOf(boss.user.id);
      expect(t.identity.directory.deactivateFromDirectory(bossIdentity!.id, 'removed', { label: 'directory-sync' })).toBe(false);
      expect(t.identity.users.get(boss.user.id).status).toBe('active');
    } finally {
      t.cleanup();
    }
  });
});
