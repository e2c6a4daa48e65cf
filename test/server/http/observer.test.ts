import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../helpers/env.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

// A fake socket peer for in-process requests (getConnInfo reads the node bindings): LAN addresses are checked without a live connection.
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const LAN = ['10.0.0.5', '192.168.1.20', '172.16.4.4', 'fd00::1', '::ffff:10.0.0.5'];

/** The assembled app behind a real listener on 127.0.0.1. */
async function listen(s: TestServer): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createAdaptorServer({ fetch: s.app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const codeOf = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code;

describe('/metrics and /health/ready: operator views', () => {
  let s: TestServer;
  let loop: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    s = await createTestServer();
    loop = await listen(s);
  });
  afterAll(async () => {
    await loop.close();
    s.cleanup();
  });
  const token = () => ({ authorization: `Bearer ${s.config.METRICS_TOKEN}` });

  it('serves metrics with the metrics token or to a loopback socket, 401 to anyone else', async () => {
    expect((await s.app.request('/metrics', { headers: token() })).status).toBe(200);
    expect((await fetch(`${loop.url}/metrics`)).status).toBe(200);
    const anonymous = await s.app.request('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await codeOf(anonymous)).toBe('unauthorized');
    expect((await s.app.request('/metrics', { headers: { authorization: `Bearer ${secret()}` } })).status).toBe(401);
    expect((await s.app.request('/metrics', { headers: { authorization: `Basic ${s.config.METRICS_TOKEN}` } })).status).toBe(401);
    // Private addresses are no longer trusted: on a LAN every desk has one.
    for (const address of LAN) expect((await s.app.request('/metrics', {}, peer(address))).status, address).toBe(401);
    expect((await s.app.request('/metrics', { headers: token() }, peer('10.0.0.5'))).status).toBe(200);
    // Only the socket counts, never a header a client writes.
    expect((await s.app.request('/metrics', { headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' } }, peer('10.0.0.5'))).status).toBe(401);
  });

  it('without METRICS_TOKEN, metrics are for loopback only (403 elsewhere, an empty bearer included)', async () => {
    const t = await createTestServer({ METRICS_TOKEN: '' });
    const tl = await listen(t);
    try {
      const res = await t.app.request('/metrics', { headers: { authorization: 'Bearer ' } });
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toBe('forbidden');
      expect((await t.app.request('/metrics', {}, peer('192.168.1.20'))).status).toBe(403);
      expect((await fetch(`${tl.url}/metrics`)).status).toBe(200);
    } finally {
      await tl.close();
      t.cleanup();
    }
  });

  it('gives anonymous and non-admin callers the readiness status only', async () => {
    const admin = await claimAdmin(s);
    const { client: user } = await addUser(s, admin, 'user@example.test');
    const anonymous = await s.app.request('/health/ready');
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: 'degraded' });
    expect((await user.get('/health/ready')).body).toEqual({ status: 'degraded' });
    for (const address of LAN) expect(await (await s.app.request('/health/ready', {}, peer(address))).json(), address).toEqual({ status: 'degraded' });
    expect(await (await s.app.request('/health/ready', { headers: { authorization: `Bearer ${secret()}` } })).json()).toEqual({ status: 'degraded' });

    const checks = { database: { ok: true }, miners: { ok: false, critical: false, reason: 'no_miners', message: 'no healthy miner connected' } };
    expect((await admin.get('/health/ready')).body).toMatchObject({ status: 'degraded', checks });
    expect(await (await s.app.request('/health/ready', { headers: token() })).json()).toMatchObject({ status: 'degraded', checks });
    expect(await (await fetch(`${loop.url}/health/ready`)).json()).toMatchObject({ status: 'degraded', checks });
    // The summary keeps its contract: `{"status":"ok"}` when healthy, the failing reasons otherwise.
    expect(await (await s.app.request('/health')).json()).toEqual({ status: 'degraded', reasons: ['no_miners', 'browser_unreachable'] });
  });

  it('keeps the 503 of a server that is not ready, details or not', async () => {
    const t = await createTestServer();
    t.db.close();
    try {
      const anonymous = await t.app.request('/health/ready');
      expect(anonymous.status).toBe(503);
      expect(await anonymous.json()).toEqual({ status: 'error' });
      const observed = await t.app.request('/health/ready', { headers: { authorization: `Bearer ${t.config.METRICS_TOKEN}` } });
      expect(observed.status).toBe(503);
      expect(((await observed.json()) as { checks: Record<string, { reason?: string }> }).checks.database?.reason).toBe('database_unreachable');
    } finally {
      t.cleanup();
    }
  });
});
