import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserClient, type BrowserClientOptions } from '../../../server/browser-client/browser-client.service.ts';
import { AppError } from '../../../server/kernel/errors.ts';
import { FETCH_ERROR_STATUS, type FetchErrorCode } from '../../../server/kernel/protocol/browser.ts';
import { secret } from '../../helpers/env.ts';
import { json, page, startStandIn, type StandIn } from './stand-in.ts';

let sidecar: StandIn;
const token = secret();
beforeAll(async () => {
  sidecar = await startStandIn();
});
afterAll(() => sidecar.close());
afterEach(() => {
  sidecar.calls.length = 0;
  sidecar.answer((call, res) => json(res, 200, page((call.body as { url: string }).url)));
});

const client = (o: Partial<BrowserClientOptions> = {}) =>
  createBrowserClient({ baseUrl: sidecar.url, token, concurrency: 2, waitMs: 1000, timeoutMs: 2000, ...o });

/** The AppError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('it succeeded');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('browser client', () => {
  it('posts the request with the bearer token and returns the page', async () => {
    const result = await client().fetchPage({ url: 'https://example.test/a', waitMs: 100 });
    expect(result).toMatchObject({ url: 'https://example.test/a', finalUrl: 'https://example.test/a', title: 'A page', text: 'Readable text of the page.' });
    expect(sidecar.calls).toEqual([{ method: 'POST', path: '/fetch', authorization: `Bearer ${token}`, body: { url: 'https://example.test/a', waitMs: 100 } }]);
  });

  it('reads the health report with the token, without taking a slot', async () => {
    const c = client({ concurrency: 1 });
    sidecar.answer(async (call, res) => {
      if (call.path === '/fetch') await sleep(300);
      json(
        res,
        200,
        call.path === '/health'
          ? { status: 'ok', version: '1.2.3', pool: { size: 6, alive: 6, maxSessions: 12, active: 1, waiting: 0 } }
          : page('https://example.test/'),
      );
    });
    const busy = c.fetchPage({ url: 'https://example.test/' });
    await sleep(50);
    expect(c.stats()).toEqual({ limit: 1, active: 1, waiting: 0 });
    expect(await c.health()).toEqual({
      status: 'ok',
      version: '1.2.3',
      pool: { size: 6, alive: 6, maxSessions: 12, active: 1, waiting: 0, launched: 0, replaced: 0, served: 0 },
    });
    expect(sidecar.calls.find((x) => x.path === '/health')?.authorization).toBe(`Bearer ${token}`);
    await busy;
  });

  const mapped: Array<[FetchErrorCode, string]> = [
    ['validation_failed', 'page_refused'],
    ['url_refused', 'page_refused'],
    ['payload_too_large', 'page_refused'],
    ['fetch_failed', 'page_fetch_failed'],
    ['page_too_large', 'page_fetch_failed'],
    ['browser_crashed', 'page_fetch_failed'],
    ['browser_busy', 'browser_busy'],
    ['fetch_timeout', 'page_timeout'],
  ];
  it.each(mapped)('maps the sidecar error %s to %s, keeping its message', async (sidecarCode, code) => {
    sidecar.answer((_call, res) => json(res, FETCH_ERROR_STATUS[sidecarCode], { error: { code: sidecarCode, message: `what went wrong (${sidecarCode})` } }));
    const err = await failure(client().fetchPage({ url: 'https://example.test/' }));
    expect(err.code).toBe(code);
    expect(err.message).toBe(`what went wrong (${sidecarCode})`);
    expect(err.details).toMatchObject({ sidecarCode });
  });

  it('a refused token says which setting to fix, and never shows the token', async () => {
    sidecar.answer((_call, res) => json(res, 401, { error: { code: 'unauthorized', message: 'bad token' } }));
    for (const call of [() => client().fetchPage({ url: 'https://example.test/' }), () => client().health()]) {
      const err = await failure(call());
      expect(err.code).toBe('browser_unavailable');
      expect(err.details?.reason).toBe('browser_token_refused');
      expect(err.message).toMatch(/refused this server's token: BROWSER_SERVICE_AUTH_TOKEN must be the same/);
      expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(token);
    }
  });

  it('something else at the address, or a broken answer, is browser_unavailable', async () => {
    sidecar.answer((_call, res) => void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>'));
    expect(await failure(client().fetchPage({ url: 'https://example.test/' }))).toMatchObject({
      code: 'browser_unavailable',
      message: `the browser service at ${sidecar.url} answered 500`,
    });
    sidecar.answer((_call, res) => json(res, 200, { hello: 'world' }));
    expect(await failure(client().fetchPage({ url: 'https://example.test/' }))).toMatchObject({
      code: 'browser_unavailable',
      message: expect.stringMatching(/answered something that is not a page/),
    });
    expect(await failure(client().health())).toMatchObject({ code: 'browser_unavailable', message: expect.stringMatching(/not a health report/) });
    sidecar.answer((_call, res) => void res.writeHead(302, { location: 'http://127.0.0.1:2/elsewhere' }).end());
    expect((await failure(client().fetchPage({ url: 'https://example.test/' }))).code).toBe('browser_unavailable');
  });

  it('a sidecar that is not there is browser_unavailable, at once', async () => {
    const c = createBrowserClient({ baseUrl: 'http://127.0.0.1:2', token, concurrency: 1, waitMs: 0, timeoutMs: 5000 });
    const t0 = Date.now();
    const err = await failure(c.fetchPage({ url: 'https://example.test/' }));
    expect(err).toMatchObject({ code: 'browser_unavailable', message: 'the browser service at http://127.0.0.1:2 cannot be reached (ECONNREFUSED)' });
    expect(Date.now() - t0).toBeLessThan(2000);
    // The slot was given back.
    expect(c.stats()).toEqual({ limit: 1, active: 0, waiting: 0 });
  });

  it('refuses a request the sidecar would refuse, without sending it', async () => {
    const err = await failure(client().fetchPage({ url: `https://example.test/${'x'.repeat(3000)}` }));
    expect(err.code).toBe('page_refused');
    expect(sidecar.calls).toEqual([]);
  });

  it('gives up after its own timeout (page_timeout) and frees the slot', async () => {
    sidecar.answer(async (_call, res) => {
      await sleep(1500);
      json(res, 200, page('https://slow.test/'));
    });
    const c = client({ concurrency: 1, timeoutMs: 200 });
    const t0 = Date.now();
    const err = await failure(c.fetchPage({ url: 'https://slow.test/' }));
    expect(err).toMatchObject({ code: 'page_timeout', message: 'the page did not load within 0.2 s (BROWSER_CLIENT_TIMEOUT_SECONDS)' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(c.stats().active).toBe(0);
    // The health probe has its own, shorter deadline.
    const h = await failure(client({ healthTimeoutMs: 100 }).health());
    expect(h).toMatchObject({ code: 'browser_unavailable', details: { reason: 'browser_unreachable' } });
  });

  it("the caller's abort stops the wait and the fetch with the caller's reason", async () => {
    sidecar.answer(async (_call, res) => {
      await sleep(1500);
      json(res, 200, page('https://slow.test/'));
    });
    const c = client({ concurrency: 1, waitMs: 5000 });
    const running = new AbortController();
    const waiting = new AbortController();
    const first = c.fetchPage({ url: 'https://slow.test/' }, { signal: running.signal });
    const second = c.fetchPage({ url: 'https://slow.test/' }, { signal: waiting.signal });
    await sleep(50);
    expect(c.stats()).toEqual({ limit: 1, active: 1, waiting: 1 });
    waiting.abort(new Error('stop waiting'));
    await expect(second).rejects.toThrow('stop waiting');
    running.abort(new Error('stop fetching'));
    await expect(first).rejects.toThrow('stop fetching');
    expect(c.stats()).toEqual({ limit: 1, active: 0, waiting: 0 });
  });

  it('waits a bounded time for a slot, then says browser_busy; a freed slot goes to the next waiter', async () => {
    sidecar.answer(async (call, res) => {
      await sleep(400);
      json(res, 200, page((call.body as { url: string }).url));
    });
    const c = client({ concurrency: 1, waitMs: 100 });
    const first = c.fetchPage({ url: 'https://a.test/' });
    await sleep(20);
    const t0 = Date.now();
    const busy = await failure(c.fetchPage({ url: 'https://b.test/' }));
    expect(busy.code).toBe('browser_busy');
    expect(busy.message).toMatch(/all 1 page fetches of this server are in use/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(sidecar.calls.map((x) => (x.body as { url: string }).url)).toEqual(['https://a.test/']);

    const patient = client({ concurrency: 1, waitMs: 2000 });
    const [one, two] = await Promise.all([patient.fetchPage({ url: 'https://c.test/' }), patient.fetchPage({ url: 'https://d.test/' })]);
    expect([one.url, two.url]).toEqual(['https://c.test/', 'https://d.test/']);
    await first;
  });

  it('with NO_EXTERNAL_EGRESS=1, refuses a sidecar host that resolves outside the local network', async () => {
    const outside = createBrowserClient({
      baseUrl: 'http://browser.example:9020',
      token,
      concurrency: 1,
      waitMs: 0,
      timeoutMs: 1000,
      localOnly: true,
      resolve: async () => ['203.0.113.9'],
    });
    expect((await failure(outside.fetchPage({ url: 'https://example.test/' }))).code).toBe('egress_refused');
    expect((await failure(outside.health())).code).toBe('egress_refused');
    const inside = createBrowserClient({
      baseUrl: sidecar.url,
      token,
      concurrency: 1,
      waitMs: 0,
      timeoutMs: 1000,
      localOnly: true,
      resolve: async () => ['203.0.113.9'],
    });
    // An IP literal in the loopback range needs no lookup.
    expect((await inside.fetchPage({ url: 'https://example.test/' })).finalUrl).toBe('https://example.test/');
  });
});
