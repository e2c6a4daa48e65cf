import { randomBytes } from 'node:crypto';
import { startBrowser, type RunningBrowser } from '../../browser/start.ts';
import { createLogger } from '../../server/kernel/log.ts';
import { startTestDns, type TestDns } from '../fixtures/dns/server.ts';
import { startSite, type TestSite } from '../fixtures/web/site.ts';

/** A JSON reply, loosely typed: tests check it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Reply = any;

/** The pieces of a sidecar test: pages on 127.0.0.2 (allowed), SSRF targets on 127.0.0.1 and ::1 at the same port (not allowed). */
export interface SidecarRig {
  sidecar: RunningBrowser;
  token: string;
  /** Allowed page source, http://127.0.0.2:P. */
  site: TestSite;
  /** Hit-counting target on 127.0.0.1:P that nothing may reach. */
  target: TestSite;
  /** Hit-counting target on [::1]:P. */
  target6: TestSite;
  dns: TestDns;
  call(path: string, init?: { body?: unknown; token?: string | null; raw?: string }): Promise<{ status: number; body: Reply }>;
  /** Connections and requests that reached either target. */
  targetHits(): number;
  stop(): Promise<void>;
}

/**
 * Starts a real sidecar (real Chromium, guard proxy, pool) on loopback with a
 * test DNS server: `pages.test` → 127.0.0.2, `loop.test` → 127.0.0.1, and
 * `rebind.test`, which answers 127.0.0.2 to the first question of each type
 * and 127.0.0.1 afterwards. Only 127.0.0.2 is on the allow list.
 */
export async function startSidecarRig(env: Record<string, string> = {}): Promise<SidecarRig> {
  const site = await startSite('127.0.0.2');
  const target = await startSite('127.0.0.1', site.port);
  const target6 = await startSite('::1', site.port);
  const dns = await startTestDns({
    'pages.test': ['127.0.0.2'],
    'loop.test': ['127.0.0.1'],
    'rebind.test': (asked) => (asked < 2 ? ['127.0.0.2'] : ['127.0.0.1']),
  });
  const token = randomBytes(32).toString('base64url');
  const sidecar = await startBrowser(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      BROWSER_SERVICE_AUTH_TOKEN: token,
      BROWSER_SERVICE_POOL_SIZE: '2',
      BROWSER_SESSION_MAX_COUNT: '4',
      BROWSER_SERVICE_FETCH_WAIT_SECONDS: '0.3',
      BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: '127.0.0.2',
      BROWSER_SERVICE_DNS_SERVERS: dns.server,
      ...env,
    },
    { log: createLogger({ level: 'silent', secrets: [token] }), version: 'test' },
  );
  return {
    sidecar,
    token,
    site,
    target,
    target6,
    dns,
    async call(path, init = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (init.token !== null) headers.authorization = `Bearer ${init.token ?? token}`;
      const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
      const res = await fetch(`${sidecar.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body ?? null });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    targetHits: () => target.connections() + target.hits.length + target6.connections() + target6.hits.length,
    async stop() {
      await sidecar.stop();
      await Promise.all([site.close(), target.close(), target6.close(), dns.close()]);
    },
  };
}
