import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.ts';
import { clientAddresses, resolveClientAddress } from '../../../server/http/client-address.ts';
import { addressMatcher } from '../../../server/kernel/address-ranges.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { tempDir, validEnv } from '../../helpers/env.ts';
import { socketPeer, tinyApp } from '../../helpers/middleware.ts';

// Only strings: nothing here opens a connection.
const proxies = addressMatcher(['10.0.0.0/8', '192.0.2.1', 'fd00::/8', '::ffff:172.16.0.0/108']);

describe('resolveClientAddress', () => {
  const cases: Array<[peer: string | undefined, xff: string | undefined, expected: string | undefined, why: string]> = [
    ['198.51.100.7', undefined, '198.51.100.7', 'no header: the peer'],
    ['198.51.100.7', '203.0.113.9', '198.51.100.7', 'an untrusted peer cannot pick its address'],
    ['10.1.2.3', '203.0.113.9', '203.0.113.9', 'a trusted proxy names its client'],
    ['10.1.2.3', '6.6.6.6, 203.0.113.9', '203.0.113.9', 'what the client wrote left of the proxy is ignored'],
    ['10.1.2.3', '6.6.6.6, 203.0.113.9, 10.9.9.9', '203.0.113.9', 'trusted hops are walked past, right to left'],
    ['10.1.2.3', '10.4.4.4, 10.5.5.5', '10.4.4.4', 'all trusted: the left-most'],
    ['10.1.2.3', 'not-an-ip, 10.5.5.5', '10.5.5.5', 'a malformed hop stops at the last trusted one'],
    ['10.1.2.3', '203.0.113.9:443', '10.1.2.3', 'an address with a port is not an address'],
    ['10.1.2.3', '', '10.1.2.3', 'an empty header'],
    ['::ffff:10.1.2.3', ' 2001:db8::5 ', '2001:db8::5', 'IPv4-mapped peer, IPv6 client, spaces'],
    ['::ffff:172.16.3.4', '203.0.113.9', '203.0.113.9', 'a mapped range matches the IPv4 peer'],
    ['fd00::1', '203.0.113.9', '203.0.113.9', 'an IPv6 proxy'],
    ['192.0.2.1', '203.0.113.9', '203.0.113.9', 'a single trusted address'],
    ['192.0.2.2', '203.0.113.9', '192.0.2.2', 'its neighbour is not trusted'],
    [undefined, '203.0.113.9', undefined, 'no socket (in-process): the header is not believed'],
  ];
  it.each(cases)('%s + %s → %s (%s)', (peer, xff, expected) => {
    expect(resolveClientAddress(peer, xff, proxies)).toBe(expected);
  });

  it('never believes the header with no trusted proxies (the default)', () => {
    expect(resolveClientAddress('127.0.0.1', '203.0.113.9', addressMatcher([]))).toBe('127.0.0.1');
  });

  it('reads at most 20 hops from the right, however long the chain', () => {
    const hops = ['203.0.113.9', ...Array.from({ length: 1000 }, (_, i) => `10.0.${i % 250}.${1 + (i % 7)}`)];
    expect(resolveClientAddress('10.0.0.1', hops.join(', '), proxies)).toBe(hops[hops.length - 20]);
  });
});

describe('the clientAddresses middleware', () => {
  const app = tinyApp()
    .use(clientAddresses(proxies))
    .get('/', (c) => c.json({ peer: c.get('peer') ?? null, ip: c.get('ip') ?? null }));
  const cases: Array<[why: string, peer: string | undefined, xff: string | undefined, seen: { peer: string | null; ip: string | null }]> = [
    ['a direct client: both are the socket peer', '198.51.100.7', undefined, { peer: '198.51.100.7', ip: '198.51.100.7' }],
    ['a client behind a trusted proxy: the peer stays the proxy', '10.1.2.3', '203.0.113.9', { peer: '10.1.2.3', ip: '203.0.113.9' }],
    ['an untrusted peer naming another address', '198.51.100.7', '127.0.0.1', { peer: '198.51.100.7', ip: '198.51.100.7' }],
    ['an IPv4-mapped loopback peer, written as IPv4', '::ffff:127.0.0.1', undefined, { peer: '127.0.0.1', ip: '127.0.0.1' }],
    ['no socket (in-process): neither, whatever the header says', undefined, '203.0.113.9', { peer: null, ip: null }],
    ['a peer that is no address', 'not-an-ip', '203.0.113.9', { peer: null, ip: null }],
  ];
  it.each(cases)('%s', async (_why, peer, xff, seen) => {
    const res = await app.request('/', { headers: xff ? { 'x-forwarded-for': xff } : {} }, peer ? socketPeer(peer) : undefined);
    expect(await res.json()).toEqual(seen);
  });
});

describe('TRUSTED_PROXIES', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const load = (value: string) => loadConfig(validEnv(tmp.dir, { TRUSTED_PROXIES: value }));

  it('takes addresses and CIDR ranges, comma- or space-separated; empty by default', () => {
    expect(loadConfig(validEnv(tmp.dir)).TRUSTED_PROXIES).toEqual([]);
    expect(load('10.0.0.0/8, 172.18.0.1 fd00::/8').TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '172.18.0.1', 'fd00::/8']);
  });

  it('refuses at start-up what is not an address or range, naming the variable', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.lan', '10.0.0', '0x0a.0.0.1', '10.0.0.0/8/1', 'fd00::/129']) {
      let err: unknown;
      try {
        load(bad);
      } catch (e) {
        err = e;
      }
      expect(isAppError(err, 'config_invalid'), bad).toBe(true);
      expect((err as Error).message, bad).toMatch(/TRUSTED_PROXIES: /);
    }
  });
});
