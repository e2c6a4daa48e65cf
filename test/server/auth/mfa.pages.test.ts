import { afterEach, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../../server/auth/totp.ts';
import { ORIGIN, PASSWORD, type TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());
const STEP = 30_000;

// A form post as a browser sends it: same-origin, urlencoded, with the session's cookie and CSRF field when signed in.
async function form(server: TestServer, path: string, fields: Record<string, string>, client?: TestClient) {
  const body = new URLSearchParams({ ...fields, ...(client?.csrf ? { _csrf: client.csrf } : {}) });
  const headers: Record<string, string> = { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' };
  if (client?.cookie) headers.cookie = client.cookie;
  const res = await server.app.request(`${ORIGIN}${path}`, { method: 'POST', headers, body: body.toString(), redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    cookie: res.headers.get('set-cookie'),
    cache: res.headers.get('cache-control'),
    html: await res.text(),
  };
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

describe('MFA pages', () => {
  it('the sign-in form asks for the code after the password, then signs in', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const factor = await enrolMfa(await claimAdmin(s), clock.now);

    const step1 = await form(s, '/login', { email: 'admin@example.test', password: PASSWORD, next: '/profile' });
    expect(step1.status).toBe(200);
    expect(step1.cookie).toBeNull();
    expect(step1.cache).toBe('no-store');
    expect(step1.html).toContain('autocomplete="one-time-code"');
    expect(step1.html).toContain('action="/login/mfa"');
    const challenge = hidden(step1.html, 'challenge')!;
    expect(challenge).toMatch(/^[\w-]{43}$/);
    expect(hidden(step1.html, 'next')).toBe('/profile');

    const wrong = await form(s, '/login/mfa', { challenge, code: '000000', next: '/profile' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('data-testid="error"');
    expect(hidden(wrong.html, 'challenge')).toBe(challenge);

    clock.advance(STEP);
    const done = await form(s, '/login/mfa', { challenge, code: factor.code(), next: '/profile' });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/profile');
    expect(done.cookie).toMatch(/^onsite_session=/);

    // A used challenge sends the browser back to the password form.
    const again = await form(s, '/login/mfa', { challenge, code: factor.code() });
    expect(again.status).toBe(400);
    expect(again.html).toContain('data-testid="login-form"');
  });

  it('an account without MFA signs in as before: straight to a session', async () => {
    s = await createTestServer({ MFA_REQUIRED: 'off' });
    await claimAdmin(s);
    const r = await form(s, '/login', { email: 'admin@example.test', password: PASSWORD, next: '/' });
    expect(r.status).toBe(303);
    expect(r.cookie).toMatch(/^onsite_session=/);
  });

  it('the enrolment page: QR code and secret, a wrong code keeps the same secret, then recovery codes once', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: undefined }, { clock: clock.now });
    const admin = await claimAdmin(s);
    const get = await s.app.request(`${ORIGIN}/profile/mfa`, { headers: { cookie: admin.cookie! } });
    expect(await get.text()).toContain('action="/profile/mfa/start"');

    const started = await form(s, '/profile/mfa/start', {}, admin);
    expect(started.status).toBe(200);
    expect(started.html).toContain('<svg');
    const secret = /data-testid="mfa-secret">([A-Z2-7]+)</.exec(started.html)?.[1];
    expect(secret).toHaveLength(32); // 20 bytes in base32

    const wrong = await form(s, '/profile/mfa/confirm', { code: '000000' }, admin);
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain(secret);

    const ok = await form(s, '/profile/mfa/confirm', { code: totp(base32Decode(secret!), clock.now()) }, admin);
    expect(ok.status).toBe(200);
    expect(ok.html).toContain('data-testid="recovery-codes"');
    expect(ok.html.match(/<code>[a-z2-7]{5}-[a-z2-7]{5}<\/code>/g)).toHaveLength(10);
    const after = await (await s.app.request(`${ORIGIN}/profile/mfa`, { headers: { cookie: admin.cookie! } })).text();
    expect(after).not.toContain('data-testid="recovery-codes"');
    expect(after).toContain('10 recovery codes left');
    expect((await s.app.request(`${ORIGIN}/`, { headers: { cookie: admin.cookie! }, redirect: 'manual' })).status).toBe(200);
  });

  it('the admin users page shows who has MFA and resets it', async () => {
    const clock = testClock();
    s = await createTestServer({ MFA_REQUIRED: 'off' }, { clock: clock.now });
    const admin = await claimAdmin(s);
    const { client: user, id } = await addUser(s, admin, 'ann@example.test');
    await enrolMfa(user, clock.now);
    const list = await (await s.app.request(`${ORIGIN}/admin/users`, { headers: { cookie: admin.cookie! } })).text();
    expect(list).toContain(`action="/admin/users/${id}/mfa/reset"`);
    expect(list.match(/data-testid="mfa">on</g)).toHaveLength(1);

    const reset = await form(s, `/admin/users/${id}/mfa/reset`, {}, admin);
    expect(reset.status).toBe(200);
    expect(reset.html).toContain('Two-step sign-in of ann@example.test removed; 1 session(s) signed out.');
    expect(reset.html).not.toContain(`/admin/users/${id}/mfa/reset`);
    expect((await user.get('/api/auth/me')).status).toBe(401);
  });
});
