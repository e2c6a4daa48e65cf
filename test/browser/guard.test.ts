import { describe, expect, it } from 'vitest';
import { addressRange, describeAddress } from '../../browser/guard/address.ts';
import { parseAllowList } from '../../browser/guard/allow-list.ts';
import { Guard } from '../../browser/guard/guard.ts';
import { PinnedResolver, type Answer } from '../../browser/guard/resolver.ts';
import { decideRequest } from '../../browser/fetch-page.ts';

// Nothing here opens a connection: names resolve through in-memory tables and
// verdicts are only computed, so even a broken guard sends no packet.
type Table = Record<string, string[]>;

function guardWith(table: Table = {}, options: { allow?: string; noEgress?: boolean } = {}) {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<Answer[]> => {
    asked.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const guard = new Guard({ allow: parseAllowList(options.allow ?? ''), noExternalEgress: options.noEgress ?? false, resolver: new PinnedResolver(resolve) });
  return { guard, asked };
}

// Every notation of an internal address, as a URL a page could ask for.
const INTERNAL_URLS: Array<[string, string]> = [
  ['http://127.0.0.1/', 'loopback'],
  ['http://2130706433/', 'loopback'],
  ['http://0x7f.1/', 'loopback'],
  ['http://0x7f000001/', 'loopback'],
  ['http://0177.0.0.1/', 'loopback'],
  ['http://127.1/', 'loopback'],
  ['http://127.000.000.001/', 'loopback'],
  ['http://[::1]/', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:7f00:1]/', 'loopback'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'loopback'],
  ['http://[::127.0.0.1]/', 'loopback'],
  ['http://0.0.0.0/', 'unspecified'],
  ['http://0/', 'unspecified'],
  ['http://[::]/', 'unspecified'],
  ['http://10.0.0.1/', 'private'],
  ['http://10.255.255.254/', 'private'],
  ['http://012.1/', 'private'],
  ['http://172.16.0.1/', 'private'],
  ['http://172.31.255.254/', 'private'],
  ['http://192.168.0.1/', 'private'],
  ['http://3232235521/', 'private'],
  ['http://[::ffff:192.168.0.1]/', 'private'],
  ['http://[::ffff:c0a8:1]/', 'private'],
  ['http://169.254.0.1/', 'linkLocal'],
  ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
  ['http://0xa9fea9fe/', 'linkLocal'],
  ['http://[::ffff:169.254.169.254]/', 'linkLocal'],
  ['http://100.64.0.1/', 'carrierGradeNat'],
  ['http://100.127.255.254/', 'carrierGradeNat'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  ['http://[fc00::1]/', 'uniqueLocal'],
  ['http://[fd00:ec2::254]/', 'uniqueLocal'],
  ['http://[fe80::1]/', 'linkLocal'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://[2002:7f00:1::]/', '6to4'],
  ['http://[64:ff9b::7f00:1]/', 'rfc6052'],
];

describe('address classification', () => {
  it.each([
    ['8.8.8.8', 'unicast'],
    ['2606:4700::1111', 'unicast'],
    ['172.15.255.255', 'unicast'],
    ['172.32.0.1', 'unicast'],
    ['100.63.255.255', 'unicast'],
    ['100.128.0.1', 'unicast'],
    ['::ffff:8.8.8.8', 'unicast'],
    ['169.254.169.254', 'linkLocal'],
    ['::ffff:10.1.2.3', 'private'],
  ])('%s is %s', (ip, range) => {
    expect(addressRange(ip)).toBe(range);
  });

  it('names the metadata service in its description', () => {
    expect(describeAddress('169.254.169.254')).toMatch(/link-local.*cloud metadata/);
  });
});

describe('guard: URLs', () => {
  it.each(INTERNAL_URLS)('refuses %s (%s) with a reason naming the range', async (url, range) => {
    const { guard } = guardWith();
    const v = await guard.checkUrl(url);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.code).toBe('address_refused');
    const ip = new URL(url).hostname.replace(/^\[|\]$/g, '');
    expect(addressRange(ip)).toBe(range);
    expect(v.reason).toContain(describeAddress(ip));
    expect(v.reason).toMatch(/BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS/);
  });

  it.each([
    'file:///etc/passwd',
    'data:text/html,<h1>x</h1>',
    'chrome://settings',
    'javascript:alert(1)',
    'ftp://example.org/',
    'ws://example.org/',
    'about:blank',
    'blob:http://example.org/x',
    'view-source:http://example.org/',
  ])('refuses the scheme of %s', async (url) => {
    const v = await guardWith().guard.checkUrl(url);
    expect(v).toMatchObject({ ok: false, code: 'scheme_refused' });
  });

  it('refuses what is not a URL', async () => {
    expect(await guardWith().guard.checkUrl('not a url')).toMatchObject({ ok: false, code: 'url_invalid' });
    expect(await guardWith().guard.checkUrl('http://exa mple.org/')).toMatchObject({ ok: false, code: 'url_invalid' });
  });

  it('allows a public address and connects to it', async () => {
    const v = await guardWith().guard.checkUrl('https://93.184.215.14:8443/x');
    expect(v).toEqual({ ok: true, host: '93.184.215.14', port: 8443, address: '93.184.215.14', family: 4 });
  });

  it('checks every DNS answer: a name with one internal answer is refused', async () => {
    const { guard } = guardWith({ 'mixed.example': ['93.184.215.14', '10.0.0.7'], 'inside.example': ['fd12::7'], 'meta.example': ['169.254.169.254'] });
    expect(await guard.checkUrl('http://mixed.example/')).toMatchObject({
      ok: false,
      code: 'address_refused',
      reason: expect.stringContaining('mixed.example resolves to 10.0.0.7'),
    });
    expect(await guard.checkUrl('http://inside.example/')).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await guard.checkUrl('http://meta.example/')).toMatchObject({ ok: false, reason: expect.stringContaining('cloud metadata') });
  });

  it('reports a name that does not resolve', async () => {
    expect(await guardWith().guard.checkUrl('http://nowhere.example/')).toMatchObject({
      ok: false,
      code: 'dns_failed',
      reason: expect.stringContaining('ENOTFOUND'),
    });
  });

  it('lets listed names, addresses and ranges through, and nothing beside them', async () => {
    const table = { 'wiki.corp': ['10.1.2.3'], 'docs.lab.example': ['192.168.7.7'], 'other.corp': ['10.1.2.4'] };
    const { guard } = guardWith(table, { allow: 'wiki.corp, .lab.example, 172.20.0.0/16, fd00::5' });
    expect(await guard.checkUrl('http://WIKI.corp./page')).toMatchObject({ ok: true, address: '10.1.2.3' });
    expect(await guard.checkUrl('http://docs.lab.example/')).toMatchObject({ ok: true, address: '192.168.7.7' });
    expect(await guard.checkUrl('http://172.20.9.9/')).toMatchObject({ ok: true });
    expect(await guard.checkUrl('http://[fd00::5]/')).toMatchObject({ ok: true });
    expect(await guard.checkUrl('http://other.corp/')).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await guard.checkUrl('http://172.21.0.1/')).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await guard.checkUrl('http://169.254.169.254/')).toMatchObject({ ok: false });
  });

  it('with NO_EXTERNAL_EGRESS=1 refuses public hosts and keeps the allowed internal ones', async () => {
    const { guard } = guardWith({ 'wiki.corp': ['10.1.2.3'], 'news.example': ['93.184.215.14'] }, { allow: 'wiki.corp', noEgress: true });
    expect(await guard.checkUrl('http://wiki.corp/')).toMatchObject({ ok: true });
    expect(await guard.checkUrl('http://news.example/')).toMatchObject({
      ok: false,
      code: 'egress_refused',
      reason: expect.stringContaining('NO_EXTERNAL_EGRESS=1'),
    });
    expect(await guard.checkUrl('http://93.184.215.14/')).toMatchObject({ ok: false, code: 'egress_refused' });
    expect(await guard.checkUrl('http://10.9.9.9/')).toMatchObject({ ok: false, code: 'address_refused' });
  });

  it('checks CONNECT targets, refusing numeric names that are IPs in disguise', async () => {
    const { guard } = guardWith();
    expect(await guard.checkHost('[::1]', 443)).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await guard.checkHost('2130706433', 443)).toMatchObject({ ok: false, code: 'url_invalid' });
    expect(await guard.checkHost('0x7f.1', 443)).toMatchObject({ ok: false, code: 'url_invalid' });
    expect(await guard.checkHost('93.184.215.14', 0)).toMatchObject({ ok: false, code: 'url_invalid' });
  });
});

describe('guard: pinned DNS', () => {
  it('answers a name the same way until the pin expires, so check and connect agree', async () => {
    let now = 0;
    let calls = 0;
    const answers = ['127.0.0.2', '127.0.0.1'];
    const resolver = new PinnedResolver(
      async () => [{ address: answers[Math.min(calls++, 1)]!, family: 4 }],
      1000,
      () => now,
    );
    const guard = new Guard({ allow: parseAllowList('127.0.0.2'), noExternalEgress: false, resolver });
    expect(await guard.checkUrl('http://rebind.test/')).toMatchObject({ ok: true, address: '127.0.0.2' });
    expect(await guard.checkHost('rebind.test', 80)).toMatchObject({ ok: true, address: '127.0.0.2' });
    expect(calls).toBe(1);
    now = 1001; // pin expired: the new answer is checked afresh, and refused
    expect(await guard.checkUrl('http://rebind.test/')).toMatchObject({ ok: false, code: 'address_refused' });
    expect(calls).toBe(2);
  });

  it('shares one query between concurrent lookups and does not pin failures', async () => {
    let calls = 0;
    const resolver = new PinnedResolver(async () => {
      calls++;
      if (calls === 1) throw new Error('SERVFAIL');
      return [{ address: '93.184.215.14', family: 4 }];
    });
    await expect(resolver.lookup('a.example')).rejects.toThrow('SERVFAIL');
    const [x, y] = await Promise.all([resolver.lookup('a.example'), resolver.lookup('a.example')]);
    expect(x).toBe(y);
    expect(calls).toBe(2);
  });
});

describe('interception decision', () => {
  const { guard } = guardWith({ 'loop.test': ['127.0.0.1'] });
  const req = (url: string, redirects = 0) => ({ url, navigation: true, redirects, maxRedirects: 3 });

  it.each(INTERNAL_URLS.map(([u]) => u))('aborts a page request to %s', async (url) => {
    expect(await decideRequest(guard, req(url))).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await decideRequest(guard, { ...req(url), navigation: false })).toMatchObject({ ok: false, code: 'address_refused' });
  });

  it('aborts non-http schemes, names resolving inside, and redirects past the limit', async () => {
    expect(await decideRequest(guard, req('data:text/html,x'))).toMatchObject({ ok: false, code: 'scheme_refused' });
    expect(await decideRequest(guard, req('http://loop.test/'))).toMatchObject({ ok: false, code: 'address_refused' });
    expect(await decideRequest(guard, req('http://93.184.215.14/', 4))).toMatchObject({ ok: false, code: 'too_many_redirects' });
    expect(await decideRequest(guard, req('http://93.184.215.14/', 3))).toEqual({ ok: true });
  });
});
