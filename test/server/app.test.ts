import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../helpers/env.ts';
import { createTestServer, observe, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const metricsToken = secret();
beforeAll(async () => {
  s = await createTestServer({ MAX_JSON_MB: '1', METRICS_TOKEN: metricsToken });
});
afterAll(() => s.cleanup());

const SECURITY_HEADERS: Record<string, RegExp> = {
  'content-security-policy': /default-src 'self'.*script-src 'self'(?!.*unsafe-inline).*frame-ancestors 'none'/,
  'x-frame-options': /^DENY$/,
  'x-content-type-options': /^nosniff$/,
  'referrer-policy': /^same-origin$/,
};

describe('HTTP app', () => {
  it.each([
    ['GET', '/health/live', 200, { status: 'ok' }],
    // No miner is connected and no browser sidecar answers: ready, but degraded, and the reasons are named.
    ['GET', '/health', 200, { status: 'degraded', reasons: ['no_miners', 'browser_unreachable'] }],
    ['GET', '/nope', 404, { error: { code: 'not_found', message: 'no route for GET /nope' } }],
    ['DELETE', '/health', 404, { error: { code: 'not_found', message: 'no route for DELETE /health' } }],
    // A DNS-rebinding page sends its own name as Host: refused before any route (test/server/http/middleware/host-check.test.ts has the rest).
    [
      'GET',
      'http://evil.example/health',
      421,
      {
        error: {
          code: 'misdirected_request',
          message: 'this server does not answer to the host "evil.example"; add it to ALLOWED_HOSTS or use APP_BASE_URL\'s host',
        },
      },
    ],
    ['GET', '/static/..%2fpackage.json', 404, { error: { code: 'not_found', message: 'no route for GET /static/..%2fpackage.json' } }],
  ])('%s %s → %i', async (method, path, status, body) => {
    const res = await s.app.request(path, { method });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
    for (const [name, pattern] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toMatch(pattern);
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });

  // Names that a plain object inherits from Object.prototype: the asset table answers for its own keys only.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__'])(
    'GET /static/%s → 404 not_found',
    async (name) => {
      const res = await s.app.request(`/static/${name}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: `no route for GET /static/${name}` } });
    },
  );

  it('lists the readiness checks by name (to the metrics token)', async () => {
    const res = await observe(s, '/health/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'degraded',
      checks: {
        database: { ok: true },
        bootstrap: { ok: true },
        license: { ok: true, message: 'active, seats 0/50, 364 days left' },
        miners: { ok: false, critical: false, reason: 'no_miners', message: 'no healthy miner connected' },
        browser: {
          ok: false,
          critical: false,
          reason: 'browser_unreachable',
          message: 'the browser service at http://127.0.0.1:2 cannot be reached (ECONNREFUSED)',
        },
      },
    });
  });

  it('answers 413 for a body over MAX_JSON_MB, declared or streamed', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const declared = await s.app.request('/health/live', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const streamed = await s.app.request('/health/live', {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode('y'.repeat(512 * 1024)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('renders pages with embedded assets only', async () => {
    const root = await s.app.request('/');
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/setup');
    const res = await s.app.request('/setup');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Onsite');
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]|https?:\/\//);
    const css = await s.app.request(html.match(/href="(\/static\/app\.css\?v=\w+)"/)![1]!);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect(css.headers.get('cache-control')).toMatch(/immutable/);
    const again = await s.app.request('/static/app.css', { headers: { 'if-none-match': css.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves metrics with the metrics token (test/server/http/observer.test.ts has the rest)', async () => {
    // In-process requests have no socket address, so they count as remote.
    expect((await s.app.request('/metrics')).status).toBe(401);
    expect((await s.app.request('/metrics', { headers: { authorization: `Bearer ${secret()}` } })).status).toBe(401);
    const res = await s.app.request('/metrics', { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/onsite_http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
    expect(text).toMatch(/onsite_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health\/live"\}/);
    expect(text).toMatch(/onsite_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
    expect(text).toMatch(/onsite_build_info\{version="\d+\.\d+\.\d+",revision="[^"]+",node="v\d+/);
    expect(text).toMatch(/onsite_db_size_bytes [1-9]\d*/);
  });

  it('keeps secrets, credentials and query strings out of the logs', async () => {
    const bearer = secret();
    const cookie = `onsite_session=${secret()}`;
    const queryToken = secret();
    await s.app.request(`/health/live?token=${queryToken}`, { headers: { authorization: `Bearer ${bearer}`, cookie } });
    await s.app.request('/nope', { method: 'POST', headers: { authorization: `Basic ${bearer}` }, body: JSON.stringify({ password: bearer }) });
    s.logs.log.info({ user: { password: bearer, token: bearer }, headers: { authorization: bearer, cookie } }, 'fields by name');
    s.logs.log.info({ note: `config leak ${s.config.SESSION_SECRET}` }, 'values by content');
    const text = s.logs.text();
    expect(s.logs.lines.length).toBeGreaterThan(3);
    for (const value of [
      bearer,
      cookie,
      queryToken,
      s.config.SESSION_SECRET,
      s.config.DB_ENCRYPTION_KEY,
      s.config.MINER_ENROLLMENT_SECRET,
      s.config.BROWSER_SERVICE_AUTH_TOKEN,
      metricsToken,
    ]) {
      expect(text).not.toContain(value);
    }
    expect(text).toContain('[REDACTED]');
  });

  it('reports the failing check when the database is gone', async () => {
    const t = await createTestServer();
    t.db.close();
    const summary = await t.app.request('/health');
    expect(summary.status).toBe(503);
    expect(((await summary.json()) as { reasons: string[] }).reasons).toContain('database_unreachable');
    const ready = await observe(t, '/health/ready');
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks.database?.ok).toBe(false);
    expect((await t.app.request('/health/live')).status).toBe(200);
    t.cleanup();
  });
});
