import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('logs of a whole setup and sign-in run', () => {
  it('hold no bootstrap token, password, session token, CSRF token or API key', async () => {
    s = await createTestServer({ LOG_LEVEL: 'trace' });
    const bootstrap = s.config.ONSITE_BOOTSTRAP_TOKEN!;
    // Setup through the HTML form, as a browser does.
    const form = await s.app.request('http://localhost:8000/setup', {
      method: 'POST',
      headers: { origin: 'http://localhost:8000', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: bootstrap, name: 'Admin', email: 'admin@example.test', password: PASSWORD }).toString(),
    });
    expect(form.status).toBe(303);
    const setupCookie = /onsite_session=([\w-]+)/.exec(form.headers.get('set-cookie')!)![1]!;

    const admin = new TestClient(s.app);
    await admin.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    await admin.post('/api/auth/login', { email: 'admin@example.test', password: 'a-Wrong-password-9' });
    const key = (await admin.post('/api/keys', { name: 'k' })).body.key as string;
    await s.app.request('/api/auth/me', { headers: { authorization: `Bearer ${key}` } });
    await s.app.request(`/api/auth/me?key=${key}`);
    const { client: bob } = await addUser(s, admin, 'bob@example.test');
    await bob.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'bobs-Next-pass-11' });
    const invite = (await admin.post('/api/users', { email: 'carol@example.test', name: 'Carol' })).body.inviteUrl as string;
    const inviteToken = invite.split('/invite/')[1]!;
    await s.app.request(`/invite/${inviteToken}`);
    // Taken before the logout, which clears the client's cookie.
    const sessionToken = admin.cookie?.split('=')[1];
    const csrfToken = admin.csrf;
    await admin.post('/api/auth/logout');

    const text = s.logs.text();
    expect(s.logs.lines.length).toBeGreaterThan(10);
    expect(text).toContain('"route":"/:kind{invite|reset}/:token"');
    const secrets = [
      inviteToken,
      bootstrap,
      PASSWORD,
      'a-Wrong-password-9',
      'bobs-Next-pass-11',
      setupCookie,
      key,
      key.slice(17),
      csrfToken,
      sessionToken,
      bob.cookie?.split('=')[1],
    ];
    for (const value of secrets) {
      expect(value, 'every secret of the run was seen').toMatch(/^\S{8,}$/);
      expect(text).not.toContain(value);
    }
  });
});

describe('audit log', () => {
  it('records sign-ins, setup, user and key changes; filters; exports CSV and JSON', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    await new TestClient(s.app).post('/api/auth/login', { email: '=2+5', password: 'bad-Password-000' });
    const { id } = await addUser(s, admin, 'bob@example.test');
    await admin.patch(`/api/users/${id}`, { role: 'admin' });
    await admin.post('/api/keys', { name: 'ci' });

    const all = await admin.get('/api/audit');
    const actions = (all.body.entries as Array<{ action: string }>).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['setup.claim', 'auth.login', 'user.create', 'user.update', 'key.create']));

    const failures = await admin.get('/api/audit?outcome=failure');
    expect((failures.body.entries as Array<{ action: string; outcome: string }>).every((e) => e.outcome === 'failure')).toBe(true);
    expect((failures.body.entries as unknown[]).length).toBe(1);
    expect(((await admin.get('/api/audit?action=user.update')).body.entries as unknown[]).length).toBe(1);
    expect(((await admin.get('/api/audit?from=2999-01-01')).body.entries as unknown[]).length).toBe(0);
    expect((await admin.get('/api/audit?from=yesterday')).status).toBe(400);

    const csv = await s.app.request('/api/audit?format=csv', { headers: { cookie: admin.cookie! } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor_id,actor,action,outcome,target,ip,details');
    expect(lines.length).toBe((all.body.entries as unknown[]).length + 1);
    // Cells that a spreadsheet would run as formulas are neutralised.
    expect(text).toContain(",'=2+5,");
    expect(text).not.toMatch(/(^|,)"?=2\+5/m);

    const { client: carol } = await addUser(s, admin, 'carol@example.test');
    expect((await carol.get('/api/audit')).status).toBe(403);
  });
});
