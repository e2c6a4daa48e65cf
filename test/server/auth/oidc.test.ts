import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ORIGIN, TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/env.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { startOidcProvider, type TestProvider } from '../../helpers/oidc-provider.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

// The provider is real (oidc-provider on loopback); the app is called in-process at its APP_BASE_URL.
const CALLBACK = `${ORIGIN}/auth/oidc/callback`;
let op: TestProvider;
let s: TestServer | undefined;
const files = tempDir();

beforeAll(async () => {
  op = await startOidcProvider({
    redirectUris: [CALLBACK],
    postLogoutRedirectUris: [`${ORIGIN}/login`],
    users: {
      alice: { email: 'alice@example.test', name: 'Alice', groups: ['staff'] },
      root: { email: 'root@example.test', name: 'Root', groups: ['staff', 'onsite-admins'] },
      mallory: { email: 'mallory@example.test', name: 'Mallory', groups: ['contractors'] },
    },
  });
});
afterAll(async () => {
  await op.stop();
  files.cleanup();
});
afterEach(() => {
  s?.cleanup();
  s = undefined;
  op.tamper = undefined;
});

const oidcEnv = (extra: Record<string, string> = {}) => ({
  OIDC_ISSUER_URL: op.issuer,
  OIDC_CLIENT_ID: op.clientId,
  OIDC_CLIENT_SECRET: op.clientSecret,
  OIDC_SCOPES: 'openid email profile groups',
  OIDC_DISPLAY_NAME: 'Example SSO',
  OIDC_ADMIN_GROUPS: 'onsite-admins',
  OIDC_ALLOWED_GROUPS: 'staff',
  ...extra,
});

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);

/** Starts a sign-in at the app: the provider's authorization URL and this browser's flow cookie. */
async function begin(t: TestServer, next?: string) {
  const res = await t.app.request(`${ORIGIN}/auth/oidc/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  expect(res.status, await res.clone().text()).toBe(302);
  return { url: new URL(res.headers.get('location')!), flow: cookieOf(res, 'onsite_oidc_flow')! };
}

/** Brings the provider's redirect back to the app with `cookie`. */
const callback = (t: TestServer, back: string, cookie?: string) =>
  t.app.request(ORIGIN + new URL(back).pathname + new URL(back).search, { headers: cookie ? { cookie } : {} });

/** A whole sign-in of `subject`; the callback's response. */
async function signIn(t: TestServer, subject: string, next?: string) {
  const { url, flow } = await begin(t, next);
  return callback(t, await op.signIn(url.href, subject), flow);
}

/** A client holding the session cookie a callback set. */
function clientFrom(t: TestServer, res: Response): TestClient {
  const c = new TestClient(t.app);
  c.cookie = cookieOf(res, 'onsite_session');
  return c;
}

const failures = (t: TestServer) => t.identity.audit.list({ action: 'auth.sso_login', limit: 50 }).map((e) => e.details?.reason);

describe('OpenID Connect sign-in against a real provider', () => {
  it('runs the code flow with PKCE, state and nonce, creates the account once, and signs in', async () => {
    s = await createTestServer(oidcEnv());
    await claimAdmin(s);
    const { url } = await begin(s, '/chat');
    expect(url.origin).toBe(op.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    for (const p of ['code_challenge', 'state', 'nonce']) expect(url.searchParams.get(p)?.length, p).toBeGreaterThanOrEqual(32);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);

    const res = await signIn(s, 'alice', '/chat');
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/chat');
    const alice = clientFrom(s, res);
    const me = await alice.get('/api/auth/me');
    expect(me.body.user).toMatchObject({ email: 'alice@example.test', name: 'Alice', role: 'user' });
    expect(((await alice.get('/api/auth/sessions')).body.sessions as unknown[])[0]).toMatchObject({ method: 'oidc' });

    await signIn(s, 'alice');
    expect(s.identity.users.list().filter((u) => u.email === 'alice@example.test')).toHaveLength(1);
    expect(s.identity.audit.list({ action: 'user.jit_create', limit: 10 })).toHaveLength(1);
    expect(s.identity.audit.list({ action: 'auth.login', limit: 10 }).filter((e) => e.details?.method === 'oidc')).toHaveLength(2);
  });

  it('maps groups to roles at every sign-in and refuses users outside the allowed groups, ending their sessions', async () => {
    s = await createTestServer(oidcEnv());
    await claimAdmin(s);
    const root = clientFrom(s, await signIn(s, 'root'));
    expect((await root.get('/api/auth/me')).body.user).toMatchObject({ role: 'admin' });

    op.users.get('root')!.groups = ['staff'];
    await signIn(s, 'root');
    expect(s.identity.users.list().find((u) => u.email === 'root@example.test')?.role).toBe('user');
    expect(s.identity.audit.list({ action: 'user.role_from_groups', limit: 10 })[0]?.details).toMatchObject({ from: 'admin', to: 'user' });

    op.users.get('root')!.groups = ['sales'];
    const refused = await signIn(s, 'root');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/not in a group allowed/);
    expect((await root.get('/api/auth/me')).status).toBe(401);

    const mallory = await signIn(s, 'mallory');
    expect(mallory.status).toBe(403);
    expect(cookieOf(mallory, 'onsite_session')).toBeUndefined();
    expect(s.identity.users.list().map((u) => u.email)).not.toContain('mallory@example.test');
    expect(failures(s)).toEqual(['not_in_allowed_groups', 'not_in_allowed_groups']);
    op.users.get('root')!.groups = ['staff', 'onsite-admins'];
  });

  it('refuses a tampered state, a callback in another browser, and a replayed callback', async () => {
    s = await createTestServer(oidcEnv());
    await claimAdmin(s);
    const { url, flow } = await begin(s);
    const back = new URL(await op.signIn(url.href, 'alice'));
    const tampered = new URL(back);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const bad = await callback(s, tampered.href, flow);
    expect(bad.status).toBe(401);
    expect(await bad.text()).toMatch(/wrong state/);
    expect(cookieOf(bad, 'onsite_session')).toBeUndefined();

    const again = await begin(s);
    const back2 = await op.signIn(again.url.href, 'alice');
    expect((await callback(s, back2)).status).toBe(401); // no flow cookie: not this browser's sign-in
    expect((await callback(s, back2, again.flow)).status).toBe(303);
    expect((await callback(s, back2, again.flow)).status).toBe(401); // a flow works once
    expect(failures(s)).toEqual(['bad_state', 'bad_state', 'bad_state']);
    expect(s.identity.users.list()).toHaveLength(2); // the one good callback
  });

  it.each([
    ['nonce', 'bad_nonce', /nonce/],
    ['other-key', 'bad_signature', /not signed by the provider/],
    ['expired', 'expired', /expired/],
    ['audience', 'bad_claims', /not issued to this application/],
    ['issuer', 'bad_claims', /not issued to this application/],
  ] as const)('refuses an ID token with a tampered %s', async (tamper, reason, message) => {
    s = await createTestServer(oidcEnv());
    await claimAdmin(s);
    op.tamper = tamper;
    const res = await signIn(s, 'alice');
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(message);
    expect(cookieOf(res, 'onsite_session')).toBeUndefined();
    expect(failures(s)).toEqual([reason]);
    expect(s.identity.users.list()).toHaveLength(1);
  });

  it('works air-gapped from local metadata and key files, without fetching discovery or keys', async () => {
    const discovery = join(files.dir, 'discovery.json');
    const jwks = join(files.dir, 'jwks.json');
    writeFileSync(discovery, JSON.stringify(await op.discovery()));
    writeFileSync(jwks, JSON.stringify(await op.jwks()));
    s = await createTestServer(oidcEnv({ OIDC_DISCOVERY_FILE: discovery, OIDC_JWKS_FILE: jwks }));
    await claimAdmin(s);
    const before = op.requests.length;
    const res = await signIn(s, 'alice');
    expect(res.status, await res.clone().text()).toBe(303);
    const served = op.requests.slice(before);
    expect(served).toContain('/token');
    expect(served.filter((p) => p.includes('well-known') || p.includes('jwks'))).toEqual([]);

    op.tamper = 'other-key';
    expect((await signIn(s, 'alice')).status).toBe(401);
    expect(failures(s)).toEqual(['bad_signature']);
  });

  it('reads userinfo when OIDC_USERINFO=1', async () => {
    s = await createTestServer(oidcEnv({ OIDC_USERINFO: '1' }));
    await claimAdmin(s);
    const before = op.requests.length;
    expect((await signIn(s, 'alice')).status).toBe(303);
    expect(op.requests.slice(before)).toContain('/me');
  });

  it('under NO_EXTERNAL_EGRESS refuses a provider outside the local network without connecting', async () => {
    s = await createTestServer(oidcEnv({ NO_EXTERNAL_EGRESS: '1', OIDC_ISSUER_URL: `http://idp.localhost:${new URL(op.issuer).port}` }), {
      resolve: async () => ['203.0.113.7'],
    });
    await claimAdmin(s);
    const before = op.requests.length;
    const res = await s.app.request(`${ORIGIN}/auth/oidc/login`);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/resolves to 203\.0\.113\.7, outside the local network/);
    expect(op.requests.length).toBe(before);
  });

  it('shows a clear page past the seats and creates nothing', async () => {
    s = await createTestServer(oidcEnv(), { license: 1 });
    await claimAdmin(s);
    const res = await signIn(s, 'alice');
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/Every seat of this installation is taken/);
    expect(s.identity.users.list()).toHaveLength(1);
    expect(failures(s)).toEqual(['seats']);
  });

  it('never signs into a local account by email; an admin links it, then the sign-in reaches that account', async () => {
    s = await createTestServer(oidcEnv());
    const admin = await claimAdmin(s);
    const local = (await admin.post('/api/users', { email: 'alice@example.test', name: 'Alice Local', role: 'user', password: 'correct-Horse-battery-9' })).body
      .user as { id: string };
    const refused = await signIn(s, 'alice');
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(/ask an admin to link it/);

    const link = await admin.post(`/api/users/${local.id}/identities`, { provider: 'oidc', issuer: op.issuer, subject: 'alice' });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    const ok = await signIn(s, 'alice');
    expect(ok.status).toBe(303);
    expect((await clientFrom(s, ok).get('/api/auth/me')).body.user).toMatchObject({ id: local.id });
    expect((await admin.get(`/api/users/${local.id}/identities`)).body.identities).toHaveLength(1);
    const user = new TestClient(s.app);
    user.cookie = cookieOf(ok, 'onsite_session');
    await user.get('/api/auth/me'); // its CSRF token: the refusal below is the role's, not CSRF's
    expect(codeOf(await user.post(`/api/users/${local.id}/identities`, { provider: 'oidc', issuer: op.issuer, subject: 'x' }))).toBe('forbidden');
  });

  it('signs out locally and at the provider', async () => {
    s = await createTestServer(oidcEnv());
    await claimAdmin(s);
    const alice = clientFrom(s, await signIn(s, 'alice'));
    const me = await alice.get('/api/auth/me');
    const out = await s.app.request(`${ORIGIN}/logout`, {
      method: 'POST',
      headers: { cookie: alice.cookie!, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: me.body.csrfToken as string }).toString(),
    });
    expect(out.status).toBe(303);
    const end = new URL(out.headers.get('location')!);
    expect(end.origin).toBe(op.issuer);
    expect(end.searchParams.get('client_id')).toBe(op.clientId);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/login`);
    expect((await alice.get('/api/auth/me')).status).toBe(401);
  });

  it('offers the provider on the sign-in page and shows its settings read-only to admins, without the secret', async () => {
    s = await createTestServer(oidcEnv());
    const admin = await claimAdmin(s);
    const login = await (await s.app.request(`${ORIGIN}/login`)).text();
    expect(login).toContain('Sign in with Example SSO');
    const page = await admin.get('/admin/sign-in');
    const html = page.body.text as string;
    expect(html).toContain(op.issuer);
    expect(html).toContain(CALLBACK);
    expect(html).not.toContain(op.clientSecret);
    const plain = await createTestServer();
    try {
      expect(await (await plain.app.request(`${ORIGIN}/login`)).text()).not.toContain('Sign in with');
      expect((await plain.app.request(`${ORIGIN}/auth/oidc/login`)).status).toBe(404);
    } finally {
      plain.cleanup();
    }
  });
});
