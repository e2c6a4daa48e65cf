import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { secret } from '../../helpers/env.ts';
import { errorCode } from '../../helpers/errors.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { issueCode } from '../../helpers/license.ts';
import { createTestServer, observe, testClock, type TestServer } from '../../helpers/server.ts';

const servers: TestServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.cleanup();
});
const DAY = 86_400_000;
const unlicensed = async (o: { clock?: () => number } = {}) => {
  const s = await createTestServer({ METRICS_TOKEN: secret() }, { license: false, ...o });
  servers.push(s);
  return s;
};

describe('license activation', () => {
  it('round trip: request code → vendor tool → install; seats and expiry in API, CLI, health and metrics', { timeout: 60_000 }, async () => {
    const s = await unlicensed();
    const admin = await claimAdmin(s);
    const before = (await admin.get('/api/license')).body;
    expect(before).toMatchObject({ mode: 'evaluation', seats: 1, seatsUsed: 1 });

    const request = (await admin.post('/api/license/request')).body.code as string;
    expect(request).toMatch(/^ONSR1-/);
    // The vendor's side: decode the request and sign an activation code for it.
    const inspected = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', 'licenses/vendor/cli.ts', 'inspect', '--request', request], { encoding: 'utf8' }),
    );
    expect(inspected).toMatchObject({ installationId: before.installationId, activeSeats: 1, productVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    const code = issueCode(inspected.installationId, { seats: 25, days: 200 });

    const installed = await admin.post('/api/license/install', { code });
    expect(installed.status).toBe(200);
    expect(installed.body).toMatchObject({ mode: 'active', seats: 25, seatsUsed: 1, daysLeft: 199, customer: 'Test Customer' });
    const state = (await admin.get('/api/license')).body;
    expect((state.history as unknown[]).length).toBe(1);
    expect(JSON.stringify(state)).not.toContain(code);

    const ready = (await (await observe(s, '/health/ready')).json()) as { checks: Record<string, { message?: string }> };
    expect(ready.checks.license?.message).toBe('active, seats 1/25, 199 days left');
    const metrics = await (await s.app.request('/metrics', { headers: { authorization: `Bearer ${s.env.METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/onsite_license_seats\{kind="total"\} 25/);
    expect(metrics).toMatch(/onsite_license_seats\{kind="used"\} 1/);
    expect(metrics).toMatch(/onsite_license_days_left 199/);

    const page = await s.app.request('/admin/license', { headers: { cookie: admin.cookie! } });
    const html = await page.text();
    expect(html).toContain('1 of 25 in use');
    expect(html).toMatch(/199 days left/);

    s.close();
    const status = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'license', 'status'], {
      env: { ...s.env, PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(status).toMatch(/state: active/);
    expect(status).toMatch(/seats: 1 used of 25/);
    expect(status).toMatch(/199 days left/);
  });

  it('a code for another installation fails with wrong_installation and changes nothing', async () => {
    const a = await unlicensed();
    const b = await unlicensed();
    const adminB = await claimAdmin(b);
    const codeForA = issueCode(a.license.installationId());
    const r = await adminB.post('/api/license/install', { code: codeForA });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('wrong_installation');
    expect((await adminB.get('/api/license')).body).toMatchObject({ mode: 'evaluation', seats: 1, history: [] });
    const audit = b.db.sqlite.prepare(`SELECT outcome, details FROM audit_log WHERE action = 'license.install'`).all();
    expect(audit).toEqual([{ outcome: 'failure', details: '{"reason":"wrong_installation"}' }]);
  });

  it.each([
    ['expired', { days: -1 }],
    ['not_yet_valid', { notBefore: Math.floor(Date.now() / 1000) + 86_400 }],
  ])('refuses a %s code', async (reason, claims) => {
    const s = await unlicensed();
    const admin = await claimAdmin(s);
    const r = await admin.post('/api/license/install', { code: issueCode(s.license.installationId(), claims) });
    expect(codeOf(r)).toBe(reason);
    expect(s.license.state().mode).toBe('evaluation');
  });

  it('never crashes and never installs on 10,000 mutated codes and random strings', { timeout: 120_000 }, async () => {
    const s = await unlicensed();
    await claimAdmin(s);
    const good = issueCode(s.license.installationId());
    const chars = '0123456789ABCDEFGHJKMNPQRSTVWXYZ-abcxyz {}"\\\u0000é';
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const reasons = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      let candidate: string;
      if (i % 4 === 0) candidate = randomBytes(rand(120)).toString(['hex', 'base64', 'latin1'][rand(3)] as BufferEncoding);
      else {
        const arr = [...good];
        const edits = 1 + rand(4);
        for (let e = 0; e < edits; e++) {
          const op = rand(3);
          const at = rand(arr.length);
          if (op === 0) arr[at] = chars[rand(chars.length)]!;
          else if (op === 1) arr.splice(at, 1);
          else arr.splice(at, 0, chars[rand(chars.length)]!);
        }
        candidate = arr.join('');
      }
      if (candidate === good) continue;
      // `accepted` (installed) or a crash is in none of these.
      const code = errorCode(() => s.license.install(candidate, { label: 'fuzz' }));
      expect(['malformed', 'bad_signature', 'unknown_key', 'wrong_installation', 'expired', 'not_yet_valid', 'superseded'], candidate).toContain(code);
      reasons.set(code, (reasons.get(code) ?? 0) + 1);
    }
    expect(s.license.history()).toEqual([]);
    // Over HTTP too: bad bodies get clear errors, the server keeps answering.
    const admin = new TestClient(s.app);
    await admin.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    for (const body of [{}, { code: 5 }, { code: 'x'.repeat(9000) }, { code: good.slice(0, 40) }, { code: `${good}\u0000` }]) {
      const r = await admin.post('/api/license/install', body);
      expect([400]).toContain(r.status);
    }
    expect((await s.app.request('/health/live')).status).toBe(200);
    expect(reasons.get('malformed')).toBeGreaterThan(0);
  });
});

describe('replacement codes', () => {
  it('an older code cannot be installed again over a newer one', async () => {
    const s = await unlicensed();
    const admin = await claimAdmin(s);
    const now = Math.floor(Date.now() / 1000);
    const older = issueCode(s.license.installationId(), { seats: 100, licenseId: 'L-old', issuedAt: now - 3600 });
    const newer = issueCode(s.license.installationId(), { seats: 5, licenseId: 'L-new', issuedAt: now });
    expect((await admin.post('/api/license/install', { code: older })).status).toBe(200);
    expect((await admin.post('/api/license/install', { code: newer })).status).toBe(200);
    const again = await admin.post('/api/license/install', { code: older });
    expect(codeOf(again)).toBe('superseded');
    expect((await admin.get('/api/license')).body).toMatchObject({ seats: 5, licenseId: 'L-new' });
  });
});

describe('seats', () => {
  it('concurrent creations cannot pass the limit together', async () => {
    const s = await unlicensed();
    const admin = await claimAdmin(s);
    await admin.post('/api/license/install', { code: issueCode(s.license.installationId(), { seats: 3 }) });
    await admin.post('/api/users', { email: 'one@example.test', name: 'One', password: PASSWORD });
    const results = await Promise.all(
      ['two', 'three', 'four'].map((n) => admin.post('/api/users', { email: `${n}@example.test`, name: n, password: PASSWORD })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect((await admin.get('/api/license')).body).toMatchObject({ seatsUsed: 3, overSeats: false });
  });

  it('evaluation allows only the admin; at the limit creating or reactivating fails; fewer seats block additions', async () => {
    const s = await unlicensed();
    const admin = await claimAdmin(s);
    const create = (email: string) => admin.post('/api/users', { email, name: 'U', password: PASSWORD });
    expect(codeOf(await create('u1@example.test'))).toBe('seats_exceeded');

    expect((await admin.post('/api/license/install', { code: issueCode(s.license.installationId(), { seats: 3 }) })).status).toBe(200);
    const u1 = (await create('u1@example.test')).body.user as { id: string };
    await create('u2@example.test');
    const full = await create('u3@example.test');
    expect(full.status).toBe(409);
    expect(codeOf(full)).toBe('seats_exceeded');
    expect((full.body.error as { message: string }).message).toMatch(/all 3 licensed seats are in use/);

    expect((await admin.patch(`/api/users/${u1.id}`, { status: 'deactivated' })).status).toBe(200);
    expect((await create('u3@example.test')).status).toBe(201);
    expect(codeOf(await admin.patch(`/api/users/${u1.id}`, { status: 'active' }))).toBe('seats_exceeded');

    // A replacement with fewer seats than active users: nothing is removed, additions stop until the admin deactivates.
    await admin.post('/api/license/install', { code: issueCode(s.license.installationId(), { seats: 2, licenseId: 'L-2' }) });
    const state = (await admin.get('/api/license')).body;
    expect(state).toMatchObject({ seats: 2, seatsUsed: 3, overSeats: true });
    const banner = await (await s.app.request('/admin/users', { headers: { cookie: admin.cookie! } })).text();
    expect(banner).toMatch(/3 active users but 2 licensed seats: deactivate 1/);
    expect(codeOf(await create('u4@example.test'))).toBe('seats_exceeded');
    const users = (await admin.get('/api/users')).body.users as Array<{ id: string; email: string; status: string }>;
    expect(users.filter((u) => u.status === 'active')).toHaveLength(3);
    await admin.patch(`/api/users/${users.find((u) => u.email === 'u3@example.test')!.id}`, { status: 'deactivated' });
    expect((await admin.get('/api/license')).body).toMatchObject({ seatsUsed: 2, overSeats: false });
    expect(codeOf(await create('u4@example.test'))).toBe('seats_exceeded'); // still at the limit, as it should be
  });
});

describe('expiry and clock', () => {
  it('valid → grace (banner) → read-only (writes refused, reads and export work); a clock set back does not revive it', async () => {
    const clock = testClock();
    const s = await unlicensed({ clock: clock.now });
    const admin = await claimAdmin(s);
    const now = Math.floor(clock.now() / 1000);
    await admin.post('/api/license/install', { code: issueCode(s.license.installationId(), { seats: 5, days: 30, graceDays: 7, nowSeconds: now }) });
    const { client: bob } = await addUser(s, admin, 'bob@example.test');
    expect((await bob.post('/api/keys', { name: 'before' })).status).toBe(201);

    // Sessions idle out over such jumps: sign in again after each one.
    const signIn = async (c: TestClient, email: string) => expect((await c.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
    clock.advance(31 * DAY);
    await signIn(bob, 'bob@example.test');
    await signIn(admin, 'admin@example.test');
    expect(s.license.state().mode).toBe('grace');
    const home = await (await s.app.request('/', { headers: { cookie: bob.cookie! } })).text();
    expect(home).toMatch(/data-testid="license-banner">The license expired on/);
    expect((await bob.post('/api/keys', { name: 'in grace' })).status).toBe(201);

    clock.advance(7 * DAY);
    await signIn(bob, 'bob@example.test');
    await signIn(admin, 'admin@example.test');
    expect(s.license.state().mode).toBe('read_only');
    const refused = await bob.post('/api/keys', { name: 'after' });
    expect(refused.status).toBe(403);
    expect(codeOf(refused)).toBe('license_read_only');
    expect(codeOf(await admin.post('/api/users', { email: 'c@example.test', name: 'C', password: PASSWORD }))).toBe('license_read_only');
    // Reading, signing in and export still work; nothing was deleted.
    expect(((await bob.get('/api/keys')).body.keys as unknown[]).length).toBe(2);
    const again = new TestClient(s.app);
    expect((await again.post('/api/auth/login', { email: 'bob@example.test', password: PASSWORD })).status).toBe(200);
    expect((await admin.get('/api/audit?format=json')).status).toBe(200);
    expect(s.db.sqlite.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 2 });

    // Turn the clock back 30 days: reported, and still read-only.
    clock.advance(-30 * DAY);
    const state = (await admin.get('/api/license')).body;
    expect(state).toMatchObject({ mode: 'read_only', clockBehind: true });
    const ready = await observe(s, '/health/ready');
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, { reason?: string }> }).checks.license?.reason).toBe('clock_behind');
    expect(codeOf(await bob.post('/api/keys', { name: 'time travel' }))).toBe('license_read_only');
    // An expired code cannot be installed against the rewound clock either.
    const stale = issueCode(s.license.installationId(), { seats: 5, days: 10, nowSeconds: Math.floor(clock.now() / 1000), licenseId: 'L-old' });
    expect(codeOf(await admin.post('/api/license/install', { code: stale }))).toBe('expired');

    // A renewal lifts read-only without reinstalling.
    clock.advance(30 * DAY);
    await signIn(bob, 'bob@example.test');
    await signIn(admin, 'admin@example.test');
    const renewal = issueCode(s.license.installationId(), { seats: 5, days: 365, nowSeconds: Math.floor(clock.now() / 1000), licenseId: 'L-renew' });
    expect((await admin.post('/api/license/install', { code: renewal })).body).toMatchObject({ mode: 'active', clockBehind: false });
    expect((await bob.post('/api/keys', { name: 'renewed' })).status).toBe(201);
  });
});
