import { afterEach, describe, expect, it } from 'vitest';
import { delayAfter, SIGN_IN_THROTTLE } from '../../../server/auth/sign-in-throttle.service.ts';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/env.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { serveOnLoopback, type LoopbackServer } from '../../helpers/loopback.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
let http: LoopbackServer | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await http?.close();
  http = undefined;
  s?.cleanup();
  s = undefined;
  for (const c of cleanups.splice(0)) c();
});

const ADMIN = 'admin@example.test';
const { pair, address } = SIGN_IN_THROTTLE;
const errorOf = (body: Record<string, unknown>) => body.error as { code: string; message: string; retryAfter?: number; scope?: string } | undefined;
const signIn = (from: string, email: string, password: string, headers: Record<string, string> = {}) =>
  http!.from(from, 'POST', '/api/auth/login', { json: { email, password }, headers });
const auditRows = (action: string) =>
  s!.db.sqlite.prepare(`SELECT actor_label AS actor, outcome, ip, target, details FROM audit_log WHERE action = ? ORDER BY id`).all(action) as Array<
    Record<string, string | null>
  >;

describe('sign-in throttle per (account, address)', () => {
  it('wrong passwords from one address hold back only that address: the right password from another still signs in', async () => {
    s = await createTestServer({}, { clock: testClock().now });
    await claimAdmin(s);
    http = await serveOnLoopback(s.app);
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push(errorOf((await signIn('127.0.0.2', ADMIN, `wrong-password-${i}x`)).body)!.code);
    expect(codes.slice(0, pair.free)).toEqual(Array(pair.free).fill('invalid_credentials'));
    expect(new Set(codes.slice(pair.free))).toEqual(new Set(['too_many_attempts']));

    // The account is not locked for everyone: a clean address signs in at once.
    expect((await signIn('127.0.0.3', ADMIN, PASSWORD)).status).toBe(200);
    // The failing address waits, even with the right password, and is told how long.
    const held = await signIn('127.0.0.2', ADMIN, PASSWORD);
    expect(held.status).toBe(429);
    expect(errorOf(held.body)).toMatchObject({ code: 'too_many_attempts', scope: 'account', retryAfter: delayAfter(pair, pair.free) / 1000 });
    expect(errorOf(held.body)!.message).toMatch(/for this account from your address; try again in 5 s/);
    expect(held.headers['retry-after']).toBe('5');
    expect(auditRows('auth.lockout')).toEqual([{ actor: 'system', outcome: 'success', ip: '127.0.0.2', target: ADMIN, details: '{"scope":"account"}' }]);
    const failures = auditRows('auth.login').filter((r) => r.outcome === 'failure');
    expect(failures).toHaveLength(pair.free);
    expect(new Set(failures.map((r) => r.ip))).toEqual(new Set(['127.0.0.2']));
  });

  it('the wait doubles after the free failures, up to a cap; the right password after the wait signs in and starts afresh', async () => {
    const clock = testClock();
    s = await createTestServer({}, { clock: clock.now });
    await claimAdmin(s);
    const c = new TestClient(s.app);
    const login = (password: string) => c.post('/api/auth/login', { email: ADMIN, password });
    for (let i = 0; i < pair.free - 1; i++) expect(codeOf(await login(`wrong-password-${i}x`))).toBe('invalid_credentials');
    const waits: number[] = [];
    for (let n = pair.free; n < pair.free + 10; n++) {
      const wrong = await login(`wrong-password-${n}x`);
      expect(codeOf(wrong)).toBe('invalid_credentials');
      const wait = delayAfter(pair, n) / 1000;
      expect((wrong.body.error as { message: string }).message).toContain(`wait ${wait} s before the next try`);
      const held = await login(PASSWORD);
      expect(codeOf(held)).toBe('too_many_attempts');
      expect(held.headers.get('retry-after')).toBe(String(wait));
      waits.push(wait);
      clock.advance(wait * 1000);
    }
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
    expect((await login(PASSWORD)).status).toBe(200);
    // Success cleared the pair: the next mistake costs nothing.
    expect(codeOf(await login('wrong-password-again'))).toBe('invalid_credentials');
    expect(codeOf(await login(PASSWORD))).not.toBe('too_many_attempts');
  });

  it('an unknown email is held back the same way, so a wait reveals nothing', async () => {
    s = await createTestServer({}, { clock: testClock().now });
    await claimAdmin(s);
    const c = new TestClient(s.app);
    const answers = async (email: string) => {
      const out: unknown[] = [];
      for (let i = 0; i <= pair.free; i++) out.push((await c.post('/api/auth/login', { email, password: `wrong-password-${i}x` })).body);
      return out;
    };
    expect(await answers('ghost@example.test')).toEqual(await answers(ADMIN));
  });

  it('counts parallel guesses in advance: a burst cannot slip past the free failures', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    const c = new TestClient(s.app);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.post('/api/auth/login', { email: ADMIN, password: `parallel-guess-${i}x` })));
    const codes = results.map(codeOf);
    expect(codes.filter((x) => x === 'invalid_credentials')).toHaveLength(pair.free);
    expect(codes.filter((x) => x === 'too_many_attempts')).toHaveLength(20 - pair.free);
  });

  it('keeps its counters in the database: a restart does not give a guesser a fresh start', async () => {
    const data = tempDir();
    cleanups.push(data.cleanup);
    const first = await createTestServer({}, { dataDir: data.dir });
    await claimAdmin(first);
    const c = new TestClient(first.app);
    for (let i = 0; i < pair.free; i++) await c.post('/api/auth/login', { email: ADMIN, password: `wrong-password-${i}x` });
    first.cleanup();
    s = await createTestServer(first.env, { dataDir: data.dir, license: false });
    expect(codeOf(await new TestClient(s.app).post('/api/auth/login', { email: ADMIN, password: PASSWORD }))).toBe('too_many_attempts');
  });
});

describe('sign-in throttle per address, across accounts', () => {
  it('is high enough not to be a lever, and spares accounts that signed in from that address before', { timeout: 180_000 }, async () => {
    s = await createTestServer({ RATE_LIMIT_PER_MINUTE: '100000' }, { clock: testClock().now });
    const admin = await claimAdmin(s);
    await addUser(s, admin, 'carol@example.test');
    await addUser(s, admin, 'dave@example.test');
    http = await serveOnLoopback(s.app);
    const spray = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        await Promise.all(Array.from({ length: Math.min(10, to - i) }, (_, j) => signIn('127.0.0.2', `user${i + j}@example.test`, 'wrong-password-1x')));
      }
    };
    expect((await signIn('127.0.0.2', ADMIN, PASSWORD)).status).toBe(200); // the admin's pair is now known
    // Well past the old limit of 20 failures an address: no lever against the others there.
    await spray(0, 30);
    expect((await signIn('127.0.0.2', 'dave@example.test', PASSWORD)).status).toBe(200);
    // Spraying on to the cap (one guess for each of many accounts) holds back new pairs at this address...
    await spray(30, address.free);
    const held = await signIn('127.0.0.2', 'carol@example.test', PASSWORD);
    expect(errorOf(held.body)).toMatchObject({ code: 'too_many_attempts', scope: 'address' });
    expect(held.headers['retry-after']).toBe(String(delayAfter(address, address.free) / 1000));
    // ...but not the accounts that signed in from here before, nor carol from elsewhere.
    expect((await signIn('127.0.0.2', ADMIN, PASSWORD)).status).toBe(200);
    expect((await signIn('127.0.0.2', 'dave@example.test', PASSWORD)).status).toBe(200);
    expect((await signIn('127.0.0.3', 'carol@example.test', PASSWORD)).status).toBe(200);
    expect(auditRows('auth.lockout').map((r) => [r.target, r.details])).toEqual([['127.0.0.2', '{"scope":"address"}']]);
  });
});

describe('client addresses behind a reverse proxy (TRUSTED_PROXIES)', () => {
  it('reads X-Forwarded-For only from a trusted proxy, right-most untrusted hop first', async () => {
    s = await createTestServer({ TRUSTED_PROXIES: '127.0.0.1' });
    await claimAdmin(s);
    http = await serveOnLoopback(s.app);
    const viaProxy = (client: string, password: string) => signIn('127.0.0.1', ADMIN, password, { 'x-forwarded-for': client });
    // Two clients behind the proxy: one failing does not hold back the other.
    for (let i = 0; i <= pair.free; i++) await viaProxy('198.51.100.7', `wrong-password-${i}x`);
    expect(errorOf((await viaProxy('198.51.100.7', PASSWORD)).body)?.code).toBe('too_many_attempts');
    // A client cannot pick its address: what it writes left of the proxy's entry is ignored.
    expect(errorOf((await viaProxy('198.51.100.8, 198.51.100.7', PASSWORD)).body)?.code).toBe('too_many_attempts');
    const ok = await viaProxy('198.51.100.7, 198.51.100.8', PASSWORD);
    expect(ok.status).toBe(200);
    const cookie = /onsite_session=[^;]+/.exec(String(ok.headers['set-cookie']))![0];
    const sessions = await http.from('127.0.0.1', 'GET', '/api/auth/sessions', { headers: { cookie, 'x-forwarded-for': '198.51.100.8' } });
    expect((sessions.body.sessions as Array<{ ip: string; current: boolean }>).find((x) => x.current)?.ip).toBe('198.51.100.8');
    expect(
      auditRows('auth.login')
        .filter((r) => r.outcome === 'failure')
        .map((r) => r.ip),
    ).toEqual(Array(pair.free).fill('198.51.100.7'));

    // A peer that is not a trusted proxy is itself the client, whatever header it sends:
    // rotating X-Forwarded-For buys no fresh attempts.
    for (let i = 0; i < pair.free; i++) await signIn('127.0.0.2', ADMIN, `wrong-password-${i}x`, { 'x-forwarded-for': `203.0.113.${i}` });
    expect(errorOf((await signIn('127.0.0.2', ADMIN, PASSWORD, { 'x-forwarded-for': '203.0.113.99' })).body)?.code).toBe('too_many_attempts');
    expect(auditRows('auth.lockout').map((r) => r.ip)).toEqual(['198.51.100.7', '127.0.0.2']);
  });

  it('never reads X-Forwarded-For when TRUSTED_PROXIES is empty (the default)', async () => {
    s = await createTestServer();
    await claimAdmin(s);
    http = await serveOnLoopback(s.app);
    await signIn('127.0.0.1', ADMIN, 'wrong-password-1x', { 'x-forwarded-for': '198.51.100.7' });
    expect(auditRows('auth.login').find((r) => r.outcome === 'failure')?.ip).toBe('127.0.0.1');
  });
});

describe('the current-password check of a password change', () => {
  it('is counted with the sign-in counters and audited on failure', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const change = (currentPassword: string) => admin.post('/api/auth/password', { currentPassword, newPassword: 'another-Strong-pass-7' });
    for (let i = 0; i < pair.free; i++) expect(codeOf(await change(`wrong-password-${i}x`))).toBe('invalid_credentials');
    // A stolen session cannot go on guessing the password, not even with the right one now.
    const held = await change(PASSWORD);
    expect(codeOf(held)).toBe('too_many_attempts');
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same counters as sign-in: guessing here also holds back sign-in from this address.
    expect(codeOf(await new TestClient(s.app).post('/api/auth/login', { email: ADMIN, password: PASSWORD }))).toBe('too_many_attempts');
    const audited = auditRows('user.password_change');
    expect(audited).toHaveLength(pair.free);
    expect(audited.every((r) => r.outcome === 'failure' && r.actor === ADMIN && r.details === '{"reason":"invalid_credentials"}')).toBe(true);
  });
});
