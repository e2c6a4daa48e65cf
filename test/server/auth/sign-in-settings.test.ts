import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN } from '../../helpers/client.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

// Nothing listens there: the settings page reads the configuration, it does not call the directory.
const ldapEnv = {
  LDAP_URL: 'ldap://127.0.0.1:9',
  LDAP_USER_BASE: 'ou=people,dc=example,dc=test',
  LDAP_BIND_DN: 'cn=svc,dc=example,dc=test',
  LDAP_BIND_PASSWORD: 'the-bind-password-is-never-shown',
  LDAP_ADMIN_GROUPS: 'onsite-admins',
  LOCAL_LOGIN: 'off',
};

describe('the sign-in settings page', () => {
  it('shows the LDAP and local sign-in settings read-only, never the bind password', async () => {
    s = await createTestServer(ldapEnv);
    const admin = await claimAdmin(s);
    const html = (await admin.get('/admin/sign-in')).body.text as string;
    expect(html).toContain('ldap://127.0.0.1:9');
    expect(html).toContain('StartTLS');
    expect(html).toContain('cn=svc,dc=example,dc=test');
    expect(html).toContain('onsite-admins');
    expect(html).not.toContain('the-bind-password-is-never-shown');
    // LOCAL_LOGIN=off with no directory admin yet: local admins can still sign in (break-glass), and the page says so.
    expect(html).toContain('acting as admins');
    expect(html).toMatch(/OpenID Connect<\/h2><p class="muted">Not configured/);
  });

  it('is for admins only, and links an account to a directory identity from its form, audited', async () => {
    s = await createTestServer(ldapEnv);
    const admin = await claimAdmin(s);
    const user = (await admin.post('/api/users', { email: 'bob@example.test', name: 'Bob', role: 'user', password: 'correct-Horse-battery-9' })).body.user as {
      id: string;
    };
    const form = new URLSearchParams({
      _csrf: admin.csrf!,
      userId: user.id,
      provider: 'ldap',
      issuer: 'ldap://127.0.0.1/ou=people,dc=example,dc=test',
      subject: 'uuid-bob',
    });
    const res = await s.app.request(`${ORIGIN}/admin/sign-in/link`, {
      method: 'POST',
      headers: { cookie: admin.cookie!, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Linked bob@example.test to ldap subject uuid-bob.');
    expect(s.identity.directory.identitiesOf(user.id)).toMatchObject([{ provider: 'ldap', subject: 'uuid-bob' }]);
    expect(s.identity.audit.list({ action: 'user.identity_link', limit: 5 })).toHaveLength(1);

    const again = await s.app.request(`${ORIGIN}/admin/sign-in/link`, {
      method: 'POST',
      headers: { cookie: admin.cookie!, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already linked');

    const bob = await s.app.request(`${ORIGIN}/admin/sign-in`, { headers: {} });
    expect(bob.status).toBe(303);
  });
});
