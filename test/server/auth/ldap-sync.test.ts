// The LDAP sync against a real slapd: the periodic job and `onsite admin ldap-sync`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminCommand } from '../../../server/cli/admin.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { apiSignIn, ldapEnv } from '../../helpers/ldap.ts';
import { serveOnLoopback, type LoopbackServer } from '../../helpers/loopback.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';
import { startSlapd, USERS, type Slapd } from '../../helpers/slapd.ts';

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

const statusOf = (email: string) => s!.identity.users.list().find((u) => u.email === email)?.status;
const authed = async (cookie: string | undefined) => (await http!.from('127.0.0.1', 'GET', '/api/auth/me', { headers: { cookie: cookie ?? '' } })).status;
const deactivations = () =>
  (
    s!.db.sqlite.prepare(`SELECT actor_label AS actor, details FROM audit_log WHERE action = 'directory.sync_deactivate' ORDER BY id`).all() as {
      actor: string;
      details: string;
    }[]
  ).map((r) => ({ actor: r.actor, ...(JSON.parse(r.details) as Record<string, unknown>) }));

describe('LDAP sync', () => {
  it('deactivates accounts removed or disabled in the directory, ends their sessions and frees their seats', async () => {
    // Four seats: the local admin, alice, bob and eve; dave has to wait for one.
    s = await createTestServer(ldapEnv(slapd, { LDAP_ALLOWED_GROUPS: 'staff,contractors', LDAP_SYNC_MINUTES: '30' }), { license: 4 });
    http = await serveOnLoopback(s.app);
    await claimAdmin(s);
    const cookies: Record<string, string | undefined> = {};
    for (const u of [USERS.alice, USERS.bob, USERS.eve]) cookies[u.uid] = (await apiSignIn(http, u.uid, u.password)).cookie;
    expect((await apiSignIn(http, 'dave', USERS.dave.password)).code).toBe('seats_exceeded');

    await slapd.remove(USERS.bob.dn);
    await slapd.disable(USERS.eve.dn);
    await s.jobs.runNow('ldap-sync'); // the periodic job, run now
    expect([statusOf('alice@example.test'), statusOf('bob@example.test'), statusOf('eve@example.test')]).toEqual(['active', 'deactivated', 'deactivated']);
    expect([await authed(cookies.alice), await authed(cookies.bob), await authed(cookies.eve)]).toEqual([200, 401, 401]);
    expect(deactivations()).toMatchObject([
      { actor: 'ldap-sync', reason: 'removed', email: 'bob@example.test' },
      { actor: 'ldap-sync', reason: 'disabled', email: 'eve@example.test' },
    ]);
    expect((await apiSignIn(http, 'dave', USERS.dave.password)).status).toBe(200); // a seat freed

    // The operator's command prints what changed; a second run changes nothing.
    await slapd.removeFromGroup('contractors', USERS.dave.dn);
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await adminCommand.run(['ldap-sync'], s.env, io)).toBe(0);
    expect(lines).toContain(`deactivated\t${USERS.dave.dn}\tnot_in_allowed_groups`);
    expect(lines.at(-1)).toBe('4 directory accounts checked, 1 deactivated');
    expect(statusOf('dave@example.test')).toBe('deactivated');
    lines.length = 0;
    await adminCommand.run(['ldap-sync'], s.env, io);
    expect(lines.at(-1)).toBe('4 directory accounts checked, 0 deactivated');
  });

  it('changes nothing while the directory does not answer', async () => {
    s = await createTestServer(ldapEnv(slapd));
    http = await serveOnLoopback(s.app);
    await apiSignIn(http, 'bob', USERS.bob.password);
    await slapd.stop();
    await expect(s.identity.ldap!.sync.run()).rejects.toMatchObject({ code: 'directory_unreachable' });
    expect(statusOf('bob@example.test')).toBe('active');
    expect(deactivations()).toEqual([]);
  });

  it('keeps the last active admin, audited as a failure', async () => {
    s = await createTestServer(ldapEnv(slapd));
    http = await serveOnLoopback(s.app);
    await apiSignIn(http, 'alice', USERS.alice.password);
    await slapd.remove(USERS.alice.dn);
    expect(await s.identity.ldap!.sync.run()).toMatchObject({ checked: 1, deactivated: [], kept: [{ reason: 'removed' }] });
    expect(statusOf('alice@example.test')).toBe('active');
    expect(deactivations()).toMatchObject([{ reason: 'last_admin', directory: 'removed' }]);
  });

  it('keeps groups synced from LDAP in line at each sign-in and at each sync', async () => {
    s = await createTestServer(ldapEnv(slapd, { LDAP_ALLOWED_GROUPS: 'staff,admins', LDAP_SYNC_MINUTES: '30' }));
    http = await serveOnLoopback(s.app);
    await claimAdmin(s);
    const actor = { id: 'admin', email: 'admin@example.test', role: 'admin' as const };
    const admins = s.groups.create(actor, { kind: 'synced', name: 'Directory admins', directory: 'ldap', directoryGroup: 'admins' });
    const members = () => s!.groups.members(admins.id).map((m) => m.email);
    expect((await apiSignIn(http, 'bob', USERS.bob.password)).status).toBe(200);
    expect(members()).toEqual([]);
    await slapd.addToGroup('admins', USERS.bob.dn);
    await s.jobs.runNow('ldap-sync');
    expect(members()).toEqual(['bob@example.test']); // by the sync, without a sign-in
    await slapd.removeFromGroup('admins', USERS.bob.dn);
    expect((await apiSignIn(http, 'bob', USERS.bob.password)).status).toBe(200);
    expect(members()).toEqual([]); // by the sign-in
  });
});
