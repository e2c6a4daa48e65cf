import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../../browser/guard/allow-list.ts';
import { Guard } from '../../../browser/guard/guard.ts';
import { REFUSED_HEADER, startGuardProxy, type GuardProxy } from '../../../browser/guard/proxy.ts';
import { PinnedResolver } from '../../../browser/guard/resolver.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { startSite, type TestSite } from '../../fixtures/web/site.ts';

// The proxy on its own, driven by hand: only loopback targets, 127.0.0.2 allowed.
let proxy: GuardProxy;
let site: TestSite;
let target: TestSite;
const proxyPort = () => Number(new URL(proxy.url).port);

beforeAll(async () => {
  site = await startSite('127.0.0.2');
  target = await startSite('127.0.0.1', site.port);
  const resolver = new PinnedResolver(async (host) =>
    host === 'pages.test'
      ? [{ address: '127.0.0.2', family: 4 }]
      : host === 'loop.test'
        ? [{ address: '127.0.0.1', family: 4 }]
        : Promise.reject(new Error('ENOTFOUND')),
  );
  proxy = await startGuardProxy(
    new Guard({ allow: parseAllowList('127.0.0.2'), noExternalEgress: false, resolver }),
    createLogger({ level: 'silent', secrets: [] }),
  );
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([site?.close(), target?.close()]);
});

function viaProxy(url: string): Promise<{ status: number; refused?: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort(), path: url, headers: { host: URL.canParse(url) ? new URL(url).host : 'proxy' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, refused: res.headers[REFUSED_HEADER] as string | undefined, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function tunnel(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(proxyPort(), '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    let head = '';
    s.on('data', (d) => {
      head += d.toString();
      if (head.includes('\r\n\r\n')) {
        s.destroy();
        resolve(head.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
  });
}

describe('guard proxy', () => {
  it('forwards plain HTTP to an allowed host by name, to the address it checked', async () => {
    const r = await viaProxy(`http://pages.test:${site.port}/article`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Onsite field notes');
    expect(site.hits).toContain('/article');
  });

  it('refuses plain HTTP to loopback in any spelling, before connecting', async () => {
    for (const url of [`http://127.0.0.1:${site.port}/`, `http://loop.test:${site.port}/`, `http://[::1]:${site.port}/`, `http://2130706433:${site.port}/`]) {
      const r = await viaProxy(url);
      expect(r.status, url).toBe(403);
      expect(r.refused).toBe('address_refused');
      expect(r.body).toMatch(/loopback/);
    }
    expect(target.connections()).toBe(0);
  });

  it('tunnels CONNECT to an allowed address and refuses loopback and disguised numbers', async () => {
    expect(await tunnel(`127.0.0.2:${site.port}`)).toBe('HTTP/1.1 200 Connection Established');
    expect(await tunnel(`127.0.0.1:${site.port}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await tunnel(`[::1]:${site.port}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await tunnel(`2130706433:${site.port}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await tunnel(`loop.test:${site.port}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(target.connections()).toBe(0);
    expect(proxy.stats.refused).toBeGreaterThanOrEqual(8);
  });

  it('is not a web server: a request that is not in proxy form gets 400', async () => {
    const r = await viaProxy('/article');
    expect(r.status).toBe(400);
  });
});
