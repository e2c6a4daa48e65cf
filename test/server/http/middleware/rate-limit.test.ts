import { describe, expect, it } from 'vitest';
import { rateLimit } from '../../../../server/http/middleware/rate-limit.ts';
import type { Caller } from '../../../../server/http/types.ts';
import { codeOfResponse, fakeUser, keyCaller, sessionCaller, tinyApp } from '../../../helpers/middleware.ts';

const PER_MINUTE = 3;
const ann = fakeUser();
const bob = fakeUser({ id: 'u-bob', email: 'bob@example.test' });

// One limiter, a clock the test moves; each request says who it is and where it comes from.
function appFor() {
  let now = Date.parse('2026-06-01T12:00:00Z');
  const who = new Map<string, { caller?: Caller; ip?: string }>();
  const app = tinyApp()
    .use(async (c, next) => {
      const v = who.get(c.req.header('x-test-who') ?? '') ?? {};
      if (v.caller) c.set('caller', v.caller);
      if (v.ip) c.set('ip', v.ip);
      await next();
    })
    .use(rateLimit(PER_MINUTE, () => now))
    .get('*', (c) => c.text('done'));
  const send = (name: string, vars: { caller?: Caller; ip?: string }) => {
    who.set(name, vars);
    return app.request('/api/thing', { headers: { 'x-test-who': name } });
  };
  return { send, advance: (ms: number) => (now += ms) };
}

const statuses = async (n: number, send: () => Response | Promise<Response>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
};

describe('rate limit', () => {
  it('lets a caller make its allowance, then answers 429 rate_limited with Retry-After', async () => {
    const { send, advance } = appFor();
    expect(await statuses(PER_MINUTE, () => send('a', { ip: '198.51.100.7' }))).toEqual([200, 200, 200]);
    advance(15_000);
    const limited = await send('a', { ip: '198.51.100.7' });
    expect(limited.status).toBe(429);
    expect(await codeOfResponse(limited)).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('45');
    advance(45_000);
    expect((await send('a', { ip: '198.51.100.7' })).status).toBe(200);
  });

  // first, then second: does the second share the first's allowance?
  const table: Array<[why: string, first: { caller?: Caller; ip?: string }, second: { caller?: Caller; ip?: string }, shared: boolean]> = [
    ['the same address, anonymous', { ip: '198.51.100.7' }, { ip: '198.51.100.7' }, true],
    ['another address', { ip: '198.51.100.7' }, { ip: '198.51.100.8' }, false],
    ['the same user from two addresses', { caller: sessionCaller(ann), ip: '198.51.100.7' }, { caller: sessionCaller(ann, 's-2'), ip: '203.0.113.9' }, true],
    ['the same user by session and by API key', { caller: sessionCaller(ann) }, { caller: keyCaller(ann) }, true],
    ['another user on the same address', { caller: sessionCaller(ann), ip: '198.51.100.7' }, { caller: sessionCaller(bob), ip: '198.51.100.7' }, false],
    ['a signed-in user and an anonymous caller on one address', { caller: sessionCaller(ann), ip: '198.51.100.7' }, { ip: '198.51.100.7' }, false],
    ['callers of unknown address, together', {}, {}, true],
  ];
  it.each(table)('counts per user, else per address: %s', async (_why, first, second, shared) => {
    const { send } = appFor();
    expect(await statuses(PER_MINUTE, () => send('first', first))).toEqual([200, 200, 200]);
    expect((await send('second', second)).status).toBe(shared ? 429 : 200);
    expect((await send('first', first)).status).toBe(429);
  });
});
