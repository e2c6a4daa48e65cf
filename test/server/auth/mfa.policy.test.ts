import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, ORIGIN, PASSWORD, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const page = (server: TestServer, client: TestClient, path: string) =>
  Promise.resolve(server.app.request(`${ORIGIN}${path}`, { headers: { cookie: client.cookie ?? '' }, redirect: 'manual' }));

// The paths a restricted session is refused, and those it keeps.
async function expectRestricted(server: TestServer, client: TestClient) {
  const me = await client.get('/api/auth/me');
  expect(me.status).toBe(200);
  expect(me.body.mfaEnrolmentRequired).toBe(true);
  for (const path of ['/api/users', '/api/keys', '/api/auth/sessions', '/api/conversations', '/api/models', '/v1/models']) {
    const r = await client.get(path);
    expect([path, r.status, codeOf(r)]).toEqual([path, 403, 'mfa_enrolment_required']);
  }
  expect(codeOf(await client.post('/api/keys', { name: 'sneaky' }))).toBe('mfa_enrolment_required');
  for (const path of ['/', '/profile', '/chat', '/admin/users']) {
    const r = await page(server, client, path);
    expect([path, r.status, r.headers.get('location')]).toEqual([path, 303, '/profile/mfa']);
  }
  const enrolPage = await page(server, client, '/profile/mfa');
  expect(enrolPage.status).toBe(200);
  expect(await enrolPage.text()).toContain('data-testid="mfa-required"');
  expect((await page(server, client, '/static/app.css')).status).not.toBe(303);
  expect((await client.get('/api/auth/mfa')).status).toBe(200);
}

async function expectFree(client: TestClient) {
  const me = await client.get('/api/auth/me');
  expect(me.status).toBe(200);
  expect(me.body.mfaEnrolmentRequired).toBeUndefined();
  expect((await client.get('/api/keys')).status).toBe(200);
}

describe('MFA_REQUIRED', () => {
  it('by default (admins) holds an admin without a factor to enrolment until they enrol, then lets them in', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: undefined }, { clock: clock.now });
    expect(s.config.MFA_REQUIRED).toBe('admins');
    const admin = await claimAdmin(s);
    await expectRestricted(s, admin);
    await enrolMfa(admin, clock.now);
    await expectFree(admin);
    expect((await admin.get('/api/users')).status).toBe(200);
    const home = await page(s, admin, '/');
    expect(home.status).toBe(200);
  });

  it('admins: a plain user is not held; logout still works for a held admin', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'admins' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    await enrolMfa(admin, clock.now);
    const { client: user } = await addUser(s, admin, 'ann@example.test');
    await expectFree(user);
    const { client: second } = await addUser(s, admin, 'root2@example.test', 'admin');
    await expectRestricted(s, second);
    expect((await second.post('/api/auth/logout')).status).toBe(200);
    expect((await second.get('/api/auth/me')).status).toBe(401);
  });

  it('all: every local account is held until it enrols', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'all' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    await enrolMfa(admin, clock.now);
    const { client: user } = await addUser(s, admin, 'ann@example.test');
    await expectRestricted(s, user);
    await enrolMfa(user, clock.now);
    await expectFree(user);
    expect(s.identity.mfa.status(s.identity.users.list()[1]!).enabled).toBe(true);
  });

  it('off: nobody is held', async () => {
    s = await createTestServer({ MFA_REQUIRED: 'off' });
    const admin = await claimAdmin(s);
    await expectFree(admin);
    expect((await admin.get('/api/users')).status).toBe(200);
  });

  it('API keys are not held, and a reset puts the admin back under the policy at the next sign-in', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'admins' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    await enrolMfa(admin, clock.now);
    const { client: other, id } = await addUser(s, admin, 'root2@example.test', 'admin');
    await enrolMfa(other, clock.now);
    expect((await admin.delete(`/api/users/${id}/mfa`)).status).toBe(200);

    const again = new TestClient(s.app);
    expect((await again.post('/api/auth/login', { email: 'root2@example.test', password: PASSWORD })).body.user).toBeTruthy();
    await expectRestricted(s, again);

    // A key of the held admin (made before the reset, say) still works: keys are not held.
    const key = s.identity.keys.create(s.identity.users.get(id), 'ci').key;
    const viaKey = await s.app.request('/api/users', { headers: { authorization: `Bearer ${key}` } });
    expect(viaKey.status).toBe(200);
  });

  it('directory sessions (LDAP, OIDC) are exempt: MFA is for local accounts', async () => {
    s = await createTestServer({ MFA_REQUIRED: 'all' });
    const admin = await claimAdmin(s);
    const user = s.identity.users.list()[0]!;
    const caller = { id: user.id, role: user.role };
    expect(s.identity.mfa.enrolmentRequired(caller, { method: 'password' })).toBe(true);
    expect(s.identity.mfa.enrolmentRequired(caller, { method: 'ldap' })).toBe(false);
    expect(s.identity.mfa.enrolmentRequired(caller, { method: 'oidc' })).toBe(false);
    await expectRestricted(s, admin);
  });
});
