import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserClient } from '../../../server/browser-client/browser-client.service.ts';
import { createBrowserMonitor } from '../../../server/browser-client/browser-status.service.ts';
import { secret } from '../../helpers/env.ts';
import { healthReport, json, startStandIn, type StandIn } from './stand-in.ts';

let sidecar: StandIn;
const token = secret();
beforeAll(async () => {
  sidecar = await startStandIn();
});
afterAll(() => sidecar.close());

const monitorOf = (baseUrl: string, ttlMs = 60_000) =>
  createBrowserMonitor(createBrowserClient({ baseUrl, token, concurrency: 3, waitMs: 0, timeoutMs: 1000, healthTimeoutMs: 300 }), ttlMs);
const healthCalls = () => sidecar.calls.filter((c) => c.path === '/health').length;

describe('browser monitor (readiness check and system page)', () => {
  it('reports the pool, probes once per period and shares a probe between callers', async () => {
    sidecar.calls.length = 0;
    const m = monitorOf(sidecar.url);
    const [a, b] = await Promise.all([m.status(), m.status()]);
    expect(a).toMatchObject({ ok: true, origin: sidecar.url, health: healthReport(), client: { limit: 3, active: 0, waiting: 0 } });
    expect(b.checkedAt).toBe(a.checkedAt);
    expect(await m.check()).toEqual({ ok: true, message: 'ok, 6/6 browsers up, 1 fetching, 0 waiting (version 9.9.9)' });
    expect(healthCalls()).toBe(1);

    const short = monitorOf(sidecar.url, 50);
    await short.status();
    await new Promise((r) => setTimeout(r, 80));
    await short.status();
    expect(healthCalls()).toBe(3);
  });

  it.each([
    [
      'a sidecar with no browser up',
      (res: ServerResponse) => json(res, 200, healthReport({ status: 'down', pool: { size: 6, alive: 0, maxSessions: 12, active: 0, waiting: 2 } })),
      'browser_down',
    ],
    ['a refused token', (res: ServerResponse) => json(res, 401, { error: { code: 'unauthorized', message: 'no' } }), 'browser_token_refused'],
    ['a sidecar that does not answer in time', () => undefined, 'browser_unreachable'],
  ])('fails the check for %s', async (_what, answer, reason) => {
    sidecar.answer((_call, res) => answer(res));
    const r = await monitorOf(sidecar.url).check();
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.message).not.toContain(token);
    sidecar.answer((_call, res) => json(res, 200, healthReport()));
  });

  it('a sidecar that is not there: browser_unreachable, with this server’s slots still reported', async () => {
    const s = await monitorOf('http://127.0.0.1:2').status();
    expect(s).toMatchObject({
      ok: false,
      reason: 'browser_unreachable',
      message: 'the browser service at http://127.0.0.1:2 cannot be reached (ECONNREFUSED)',
      client: { limit: 3 },
    });
    expect(s.health).toBeUndefined();
  });
});
