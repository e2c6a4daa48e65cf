import { readFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPolicy, type HostSettings } from '../../../../server/http/hosts.ts';
import { hostCheck } from '../../../../server/http/middleware/host-check.ts';
import type { AppEnv } from '../../../../server/http/types.ts';
import { loadConfig } from '../../../../server/config.ts';
import { validEnv } from '../../../helpers/env.ts';

const SETTINGS: HostSettings = {
  baseUrl: 'https://ai.corp.example',
  allowedHosts: ['onsite.lan', '10.0.0.5:8443', '[fd00::5]'],
  port: 8000,
  tlsPort: 8443,
  tls: true,
};

function appFor(settings: HostSettings = SETTINGS) {
  return new Hono<AppEnv>().use(hostCheck(hostPolicy(settings))).get('/', (c) => c.text('ours'));
}

// A fake socket peer for in-process requests: getConnInfo reads it from the node bindings. No connection is made.
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

describe('host check (DNS-rebinding defence)', () => {
  it.each([
    ['https://ai.corp.example/', undefined],
    ['https://AI.Corp.Example/', undefined],
    ['http://ai.corp.example:8000/', 'ai.corp.example:8000'], // any port: the name is what a rebinding page cannot forge
    ['http://ai.corp.example./', 'ai.corp.example.'], // the same DNS name, fully qualified
    ['http://onsite.lan:8000/', 'ONSITE.LAN:8000'],
    ['https://10.0.0.5:8443/', '10.0.0.5:8443'],
    ['http://10.0.0.5:8000/', '10.0.0.5'],
    ['http://[fd00::5]:8000/', '[FD00::5]:8000'],
  ])('lets %s (Host %s) through', async (url, host) => {
    const res = await appFor().request(url, host ? { headers: { host } } : {});
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ours');
  });

  it.each([
    ['http://evil.example/', undefined],
    ['http://ai.corp.example.evil.example/', undefined],
    ['http://corp.example/', undefined],
    ['http://10.0.0.6/', undefined],
    // An absolute-form target naming us while the Host names another site: both must be ours.
    ['https://ai.corp.example/', 'evil.example'],
    ['http://evil.example/', 'ai.corp.example'],
    ['http://ai.corp.example/', 'ai.corp.example@evil.example'],
  ])('answers 421 misdirected_request for %s (Host %s)', async (url, host) => {
    const res = await appFor().request(url, host ? { headers: { host } } : {});
    expect(res.status).toBe(421);
    expect(await res.json()).toEqual({ error: { code: 'misdirected_request', message: expect.stringMatching(/does not answer to the host .*ALLOWED_HOSTS/) } });
  });

  it('accepts loopback names only from a loopback socket peer', async () => {
    const from = (host: string, address?: string, headers: Record<string, string> = {}) =>
      appFor().request(`http://${host}/`, { headers: { host, ...headers } }, address ? peer(address) : undefined);
    for (const host of ['localhost:8000', '127.0.0.1:8000', '[::1]:8000', '127.0.0.2']) {
      expect((await from(host, '127.0.0.1')).status, `${host} from 127.0.0.1`).toBe(200);
      expect((await from(host, '::ffff:127.0.0.1')).status, `${host} from mapped loopback`).toBe(200);
      expect((await from(host, '::1')).status, `${host} from ::1`).toBe(200);
      // The same names from the LAN, or with no socket at all: refused.
      expect((await from(host, '10.0.0.7')).status, `${host} from the LAN`).toBe(421);
      expect((await from(host)).status, `${host} in-process`).toBe(421);
    }
    // A loopback peer gets no exemption for any other name, and a forwarded header changes nothing.
    expect((await from('evil.example', '127.0.0.1')).status).toBe(421);
    expect((await from('localhost', '10.0.0.7', { 'x-forwarded-for': '127.0.0.1' })).status).toBe(421);
  });

  describe('over a real loopback socket', () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createAdaptorServer({ fetch: appFor().fetch }) as Server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });

    it('serves the health-check style Host, refuses a rebound name', async () => {
      expect(await get(`127.0.0.1:${port}`)).toBe(200);
      expect(await get(`localhost:${port}`)).toBe(200);
      expect(await get(`onsite.lan:${port}`)).toBe(200);
      expect(await get(`evil.example:${port}`)).toBe(421);
    });
  });
});

describe('host policy origins', () => {
  it('derives every accepted origin from configuration', () => {
    expect([...hostPolicy(SETTINGS).origins].sort()).toEqual(
      [
        'https://ai.corp.example',
        'http://ai.corp.example',
        'http://ai.corp.example:8000',
        'https://ai.corp.example:8443',
        'http://onsite.lan',
        'http://onsite.lan:8000',
        'https://onsite.lan',
        'https://onsite.lan:8443',
        'http://10.0.0.5:8443',
        'https://10.0.0.5:8443',
        'http://[fd00::5]',
        'http://[fd00::5]:8000',
        'https://[fd00::5]',
        'https://[fd00::5]:8443',
      ].sort(),
    );
  });

  it('serves https origins only with TLS or an https APP_BASE_URL', () => {
    const plain = hostPolicy({ baseUrl: 'http://localhost:8000', allowedHosts: ['server'], port: 8000, tlsPort: 8443, tls: false });
    expect([...plain.origins].sort()).toEqual(['http://localhost', 'http://localhost:8000', 'http://server', 'http://server:8000']);
    expect(plain.allows('server')).toBe(true);
    expect(plain.allows('localhost')).toBe(true);
    expect(plain.allows('evil.example')).toBe(false);
  });
});

describe('the compose stack', () => {
  const compose = readFileSync('compose/docker-compose.yml', 'utf8');
  const value = (key: string) => new RegExp(`^\\s+${key}: (.+)$`, 'm').exec(compose)?.[1]?.trim() ?? '';
  // The server's environment as compose writes it, with .env's ALLOWED_HOSTS empty (the default) or set.
  const serverApp = (allowed: string) => {
    const config = loadConfig(
      validEnv('/nonexistent', {
        APP_BASE_URL: 'https://onsite.example.lan:8443',
        ALLOWED_HOSTS: value('ALLOWED_HOSTS').replace('${ALLOWED_HOSTS:-}', allowed),
        TLS_CERT_PATH: '/etc/onsite/tls/server.crt',
        TLS_KEY_PATH: '/etc/onsite/tls/server.key',
      }),
    );
    return appFor({ baseUrl: config.APP_BASE_URL, allowedHosts: config.ALLOWED_HOSTS, port: config.PORT, tlsPort: config.TLS_PORT, tls: true });
  };
  const from = (app: Hono<AppEnv>, url: string, address: string) => app.request(url, { headers: { host: new URL(url).host } }, peer(address));

  it('keeps the bundled miner (SERVER_URL) and the health check working, and nothing else', async () => {
    const minerUrl = value('SERVER_URL');
    const healthUrl = /"healthcheck", "(http:\/\/127\.0\.0\.1:8000\/[^"]+)"/.exec(compose)![1]!;
    expect(minerUrl).toBe('http://server:8000');
    for (const allowed of ['', 'onsite,10.0.0.5']) {
      const app = serverApp(allowed);
      expect((await from(app, `${minerUrl}/`, '172.18.0.3')).status, 'the miner on the backend network').toBe(200);
      expect((await from(app, healthUrl.replace(/\/health.*$/, '/'), '127.0.0.1')).status, 'the health check').toBe(200);
      expect((await from(app, 'http://localhost:8000/', '172.17.0.1')).status, 'the Docker host, through the published port').toBe(200);
      expect((await from(app, 'https://onsite.example.lan:8443/', '192.168.1.20')).status, 'APP_BASE_URL').toBe(200);
      expect((await from(app, 'http://evil.example:8000/', '192.168.1.20')).status, 'a rebound name').toBe(421);
      expect((await from(app, 'http://10.0.0.5:8000/', '192.168.1.20')).status, 'an address only .env may add').toBe(allowed ? 200 : 421);
    }
  });
});
