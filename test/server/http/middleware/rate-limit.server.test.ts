import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, TestClient } from '../../../helpers/client.ts';
import { addUser, claimAdmin } from '../../../helpers/identity.ts';
import { createTestServer, testClock, type TestServer } from '../../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('RATE_LIMIT_PER_MINUTE', () => {
  it('limits each user and each anonymous address separately, per minute', async () => {
    const clock = testClock();
    s = await createTestServer({ RATE_LIMIT_PER_MINUTE: '30' }, { clock: clock.now });
    const admin = await claimAdmin(s); // 1 request (anonymous)
    const { client: bob } = await addUser(s, admin, 'bob@example.test'); // 1 as admin, 1 anonymous login
    for (let i = 0; i < 29; i++) expect((await admin.get('/api/auth/me')).status).toBe(200);
    const limited = await admin.get('/api/auth/me');
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bob.get('/api/auth/me')).status).toBe(200); // someone else is not affected
    expect((await s.app.request('/health/live')).status).toBe(200); // health is not limited
    clock.advance(61_000);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    const anon = new TestClient(s.app);
    for (let i = 0; i < 30; i++) await anon.get('/api/setup');
    expect((await anon.get('/api/setup')).status).toBe(429);
  });
});
