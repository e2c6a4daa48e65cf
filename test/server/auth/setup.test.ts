import { afterAll, describe, expect, it } from 'vitest';
import { secret, tempDir } from '../../helpers/env.ts';
import { codeOf, PASSWORD, TestClient } from '../../helpers/client.ts';
import { createTestServer, observe } from '../../helpers/server.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('first admin (bootstrap token)', () => {
  it('100 concurrent claims with the right token: exactly one wins', { timeout: 60_000 }, async () => {
    const s = await createTestServer({ LOG_LEVEL: 'warn' }, { dataDir: `${tmp.dir}/race` });
    const token = s.config.ONSITE_BOOTSTRAP_TOKEN!;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        new TestClient(s.app).post('/api/setup/claim', { token, name: `Admin ${i}`, email: `admin${i}@example.test`, password: PASSWORD }),
      ),
    );
    const wins = results.filter((r) => r.status === 201);
    const refusals = results.filter((r) => r.status === 410 && codeOf(r) === 'setup_closed');
    expect(wins).toHaveLength(1);
    expect(refusals).toHaveLength(99);
    const rows = s.db.sqlite.prepare(`SELECT email, role FROM users`).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ role: 'admin' });
    s.cleanup();
  });

  it('stays closed after a restart with another token; the claim names who and when', async () => {
    const dir = `${tmp.dir}/restart`;
    const first = await createTestServer({}, { dataDir: dir });
    const admin = new TestClient(first.app);
    const before = Date.now();
    const claimed = await admin.post('/api/setup/claim', {
      token: first.config.ONSITE_BOOTSTRAP_TOKEN,
      name: 'Ada',
      email: 'ada@example.test',
      password: PASSWORD,
    });
    expect(claimed.status).toBe(201);
    first.close();

    const newToken = secret();
    const second = await createTestServer({ ONSITE_BOOTSTRAP_TOKEN: newToken }, { dataDir: dir });
    const c = new TestClient(second.app);
    expect((await c.get('/api/setup')).body).toEqual({ claimed: true });
    for (const token of [newToken, first.config.ONSITE_BOOTSTRAP_TOKEN, 'anything']) {
      const r = await c.post('/api/setup/claim', { token, name: 'Eve', email: 'eve@example.test', password: PASSWORD });
      expect(r.status).toBe(410);
      expect(codeOf(r)).toBe('setup_closed');
    }
    const page = await second.app.request('/setup');
    expect(page.status).toBe(410);
    expect(await page.text()).toMatch(/already set up/);
    const claim = second.db.sqlite.prepare(`SELECT c.claimed_at AS at, u.email FROM setup_claim c JOIN users u ON u.id = c.user_id`).get() as {
      at: number;
      email: string;
    };
    expect(claim.email).toBe('ada@example.test');
    expect(claim.at).toBeGreaterThanOrEqual(before - 1);
    expect(claim.at).toBeLessThanOrEqual(Date.now());
    expect(second.db.sqlite.prepare(`SELECT count(*) AS n FROM users`).get()).toEqual({ n: 1 });
    second.cleanup();
  });

  it('refuses wrong tokens, audits them, and rate-limits the address', async () => {
    const s = await createTestServer({}, { dataDir: `${tmp.dir}/wrong` });
    const c = new TestClient(s.app);
    const codes: string[] = [];
    for (let i = 0; i < 11; i++) {
      codes.push(codeOf(await c.post('/api/setup/claim', { token: secret(), name: 'X', email: 'x@example.test', password: PASSWORD }))!);
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('setup_token_invalid'));
    expect(codes[10]).toBe('rate_limited');
    // Even the right token waits out the pause.
    const right = await c.post('/api/setup/claim', { token: s.config.ONSITE_BOOTSTRAP_TOKEN, name: 'X', email: 'x@example.test', password: PASSWORD });
    expect(codeOf(right)).toBe('rate_limited');
    const failures = s.db.sqlite.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'setup.claim' AND outcome = 'failure'`).get();
    expect(failures).toEqual({ n: 10 });
    expect((await c.get('/api/setup')).body).toEqual({ claimed: false });
    s.cleanup();
  });

  it('rejects weak passwords and bad input, changing nothing', async () => {
    const s = await createTestServer({}, { dataDir: `${tmp.dir}/weak` });
    const c = new TestClient(s.app);
    const token = s.config.ONSITE_BOOTSTRAP_TOKEN;
    const cases: Array<[unknown, string]> = [
      [{ token, name: 'A', email: 'a@example.test', password: 'short' }, 'weak_password'],
      [{ token, name: 'A', email: 'a@example.test', password: 'password1234' }, 'weak_password'],
      [{ token, name: 'A', email: 'longname@example.test', password: 'xx-longname-yy' }, 'weak_password'],
      [{ token, name: 'A', email: 'not-an-email', password: PASSWORD }, 'validation_failed'],
      [{ token, name: '', email: 'a@example.test', password: PASSWORD }, 'validation_failed'],
    ];
    for (const [body, code] of cases) expect(codeOf(await c.post('/api/setup/claim', body))).toBe(code);
    expect(s.db.sqlite.prepare(`SELECT count(*) AS n FROM users`).get()).toEqual({ n: 0 });
    s.cleanup();
  });

  it('/setup?token= fills the token field (the link onsite dev prints) and claims nothing by itself', async () => {
    const s = await createTestServer({}, { dataDir: `${tmp.dir}/prefill` });
    const token = s.config.ONSITE_BOOTSTRAP_TOKEN!;
    const page = await (await s.app.request(`/setup?token=${encodeURIComponent(token)}`)).text();
    expect(page).toMatch(new RegExp(`<input name="token" type="password" value="${token}"`));
    expect((await new TestClient(s.app).get('/api/setup')).body).toEqual({ claimed: false });
    // Whatever the query holds is only a value in the form, escaped; an over-long one is left out.
    const hostile = await (await s.app.request(`/setup?token=${encodeURIComponent('"><script>x</script>')}`)).text();
    expect(hostile).not.toContain('<script>x');
    expect(hostile).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(await (await s.app.request(`/setup?token=${'a'.repeat(513)}`)).text()).toMatch(/<input name="token" type="password" value=""/);
    expect(s.db.sqlite.prepare(`SELECT count(*) AS n FROM users`).get()).toEqual({ n: 0 });
    s.cleanup();
  });

  it('without a configured token: not ready, and the page explains init', async () => {
    const s = await createTestServer({ ONSITE_BOOTSTRAP_TOKEN: '' }, { dataDir: `${tmp.dir}/none` });
    const ready = await observe(s, '/health/ready');
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, { reason?: string }> }).checks.bootstrap?.reason).toBe('bootstrap_token_missing');
    expect(await (await s.app.request('/setup')).text()).toMatch(/init script/);
    const r = await new TestClient(s.app).post('/api/setup/claim', { token: 'x', name: 'A', email: 'a@example.test', password: PASSWORD });
    expect(codeOf(r)).toBe('bootstrap_token_missing');
    s.cleanup();
  });
});
