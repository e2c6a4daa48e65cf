import type { MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { actorOf, callerOf, requireAdmin, requireSession, requireUser } from '../../../../server/http/middleware/guards.ts';
import type { AppEnv, Caller } from '../../../../server/http/types.ts';
import { codeOfResponse, fakeUser, given, keyCaller, sessionCaller, tinyApp } from '../../../helpers/middleware.ts';

const admin = fakeUser({ id: 'u-admin', email: 'root@example.test', role: 'admin' });
const callers: Record<string, Caller | undefined> = {
  anonymous: undefined,
  'user session': sessionCaller(),
  'user key': keyCaller(),
  'admin session': sessionCaller(admin),
  'admin key': keyCaller(admin),
};
const guards: Record<string, MiddlewareHandler<AppEnv>> = { requireUser, requireAdmin, requireSession };

function appFor(guard: MiddlewareHandler<AppEnv>, caller: Caller | undefined) {
  return tinyApp()
    .use(given(caller ? { caller } : {}))
    .use(guard)
    .get('/', (c) => c.json(actorOf(callerOf(c))));
}

describe('route guards', () => {
  const refused: Array<[guard: string, caller: string, status: number, code: string]> = [
    ['requireUser', 'anonymous', 401, 'unauthorized'],
    ['requireAdmin', 'anonymous', 401, 'unauthorized'],
    ['requireAdmin', 'user session', 403, 'forbidden'],
    ['requireAdmin', 'user key', 403, 'forbidden'],
    ['requireSession', 'anonymous', 401, 'unauthorized'],
    ['requireSession', 'user key', 403, 'session_required'],
    ['requireSession', 'admin key', 403, 'session_required'],
  ];
  it.each(refused)('%s refuses a caller of kind %s with %i %s', async (guard, who, status, code) => {
    const res = await appFor(guards[guard]!, callers[who]).request('/');
    expect(res.status).toBe(status);
    expect(await codeOfResponse(res)).toBe(code);
  });

  const passed: Array<[guard: string, caller: string]> = [
    ['requireUser', 'user session'],
    ['requireUser', 'user key'],
    ['requireUser', 'admin key'],
    ['requireAdmin', 'admin session'],
    ['requireAdmin', 'admin key'],
    ['requireSession', 'user session'],
    ['requireSession', 'admin session'],
  ];
  it.each(passed)('%s lets a caller of kind %s through, as its audit actor', async (guard, who) => {
    const caller = callers[who]!;
    const res = await appFor(guards[guard]!, caller).request('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: caller.user.id, label: caller.user.email });
  });

  it('callerOf refuses to run on an unguarded route', async () => {
    const res = await tinyApp()
      .get('/', (c) => c.json(callerOf(c)))
      .request('/');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'unexpected', message: 'Error: callerOf used on an unguarded route' } });
  });
});
