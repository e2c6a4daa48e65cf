import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FETCH_BODY_BYTES } from '../../server/kernel/protocol/browser.ts';
import { startSidecarRig, type SidecarRig } from './harness.ts';

let rig: SidecarRig;
let P: number;
const fetchPage = (url: string, extra: Record<string, unknown> = {}) => rig.call('/fetch', { body: { url, ...extra } });

beforeAll(async () => {
  rig = await startSidecarRig();
  P = rig.site.port;
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe('browser sidecar: pages', () => {
  it('returns title, readable main text without boilerplate, links and a PNG screenshot', async () => {
    const r = await fetchPage(`${rig.site.url}/article`, { screenshot: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      url: `${rig.site.url}/article`,
      finalUrl: `${rig.site.url}/article`,
      status: 200,
      title: 'Onsite field notes',
      blocked: [],
    });
    expect(r.body.text).toContain("Air-gapped appliances keep every document and every prompt on the customer's own network.");
    expect(r.body.text).toContain('Nothing leaves the building');
    expect(r.body.text).not.toContain('Copyright footer');
    expect(r.body.text).not.toContain('Site banner');
    const urls = (r.body.links as Array<{ url: string; text: string }>).map((l) => l.url);
    expect(urls).toContain(`${rig.site.url}/guide/install`);
    expect(urls).toContain('https://docs.example.org/ops'); // listed, never fetched
    expect(r.body.links).toContainEqual({ url: `${rig.site.url}/guide/install`, text: 'the installation guide' });
    const png = Buffer.from(r.body.screenshot as string, 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 800]);
    expect(r.body.bytes).toBeGreaterThan(1000);
  });

  it('returns the text a script renders after load', async () => {
    const r = await fetchPage(`${rig.site.url}/scripted`);
    expect(r.status).toBe(200);
    expect(r.body.title).toBe('Rendered by script');
    expect(r.body.text).toContain('This paragraph was written by JavaScript after the page loaded');
    expect(r.body.text).not.toContain('Loading…');
  });

  it('follows redirects within the limit, reports the final URL and status, reaches allowed names', async () => {
    const r = await fetchPage(`http://pages.test:${P}/chain?n=3`);
    expect(r.status).toBe(200);
    expect(r.body.finalUrl).toBe(`http://pages.test:${P}/article`);
    const missing = await fetchPage(`${rig.site.url}/status?code=404`);
    expect(missing.body).toMatchObject({ status: 404, title: 'Status 404' });
  });

  it('fetches images only when a screenshot is asked for (after the guard has checked them)', async () => {
    const pixel = (n: string) => `${rig.site.url}/pixel-${n}.png`;
    await fetchPage(`${rig.site.url}/image?target=${encodeURIComponent(pixel('text'))}`, { waitMs: 200 });
    await fetchPage(`${rig.site.url}/image?target=${encodeURIComponent(pixel('shot'))}`, { waitMs: 200, screenshot: true });
    expect(rig.site.hits).not.toContain('/pixel-text.png');
    expect(rig.site.hits).toContain('/pixel-shot.png');
  });

  it('keeps no cookies or storage between fetches', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetchPage(`${rig.site.url}/visit`, { waitMs: 100 });
      expect(r.body.title).toBe('cookie none, visit 1');
    }
  });
});

describe('browser sidecar: SSRF battery (targets on loopback count every hit)', () => {
  it.each([
    [
      'a redirect to 127.0.0.1',
      () => `${rig.site.url}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${P}/`)}`,
      /redirect was refused.*127\.0\.0\.1 \(a loopback address\)/,
    ],
    ['decimal 2130706433', () => `http://2130706433:${P}/`, /127\.0\.0\.1 \(a loopback address\)/],
    ['hex 0x7f.1', () => `http://0x7f.1:${P}/`, /127\.0\.0\.1 \(a loopback address\)/],
    ['short 127.1', () => `http://127.1:${P}/`, /127\.0\.0\.1 \(a loopback address\)/],
    ['IPv6 [::1]', () => `http://[::1]:${P}/`, /::1 \(a loopback address\)/],
    ['IPv4-mapped [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${P}/`, /a loopback address/],
    ['file://', () => 'file:///etc/passwd', /only http and https.*not file/],
    ['data:', () => 'data:text/html,<h1>hi</h1>', /only http and https.*not data/],
    ['chrome://', () => 'chrome://version', /only http and https.*not chrome/],
    ['a DNS name resolving to loopback', () => `http://loop.test:${P}/`, /loop\.test resolves to 127\.0\.0\.1 \(a loopback address\)/],
  ])('refuses %s with a clear reason', async (_what, url, reason) => {
    const before = rig.targetHits();
    const r = await fetchPage(url());
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.error.code).toBe('url_refused');
    expect(r.body.error.message).toMatch(reason);
    expect(rig.targetHits()).toBe(before);
  });

  it.each([
    ['an image', 'image'],
    ['a script', 'script'],
    ['a fetch()', 'xhr'],
    ['an iframe', 'iframe'],
  ])('loads the page but refuses %s pointing at loopback, and lists it', async (_what, path) => {
    const secret = `http://127.0.0.1:${P}/secret-${path}`;
    const r = await fetchPage(`${rig.site.url}/${path}?target=${encodeURIComponent(secret)}`, { waitMs: 500 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.blocked).toContainEqual({ url: secret, code: 'address_refused', reason: expect.stringContaining('127.0.0.1 (a loopback address)') });
    expect(rig.targetHits()).toBe(0);
  });

  it("refuses a worker's fetch by interception and a WebSocket at the guard proxy", async () => {
    const fromWorker = `http://127.0.0.1:${P}/from-worker`;
    const w = await fetchPage(`${rig.site.url}/worker?target=${encodeURIComponent(fromWorker)}`, { waitMs: 800 });
    expect(w.status).toBe(200);
    expect(w.body.blocked).toContainEqual(expect.objectContaining({ url: fromWorker, code: 'address_refused' }));
    // Interception never sees WebSockets; Chromium tunnels them through the proxy, which refuses.
    const refusedBefore = rig.sidecar.proxyStats().refused;
    const s = await fetchPage(`${rig.site.url}/websocket?target=${encodeURIComponent(`ws://127.0.0.1:${P}/socket`)}`, { waitMs: 800 });
    expect(s.status).toBe(200);
    expect(rig.sidecar.proxyStats().refused - refusedBefore).toBe(1);
    expect(rig.targetHits()).toBe(0);
  });

  it('connects to the address it checked when a name rebinds between check and connect', async () => {
    const r = await fetchPage(`http://rebind.test:${P}/article`, { waitMs: 0 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.title).toBe('Onsite field notes'); // served by 127.0.0.2, the checked answer
    expect(rig.dns.asked.get('rebind.test')).toBe(2); // one A and one AAAA question: pinned, never asked again
    expect(rig.targetHits()).toBe(0);
  });

  it('refuses more redirects than allowed', async () => {
    const r = await fetchPage(`${rig.site.url}/chain?n=8`);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'url_refused', reason: 'too_many_redirects' });
  });

  it('stops a page that downloads more than its cap', async () => {
    const r = await fetchPage(`${rig.site.url}/big?mb=4`, { maxBytes: 1024 * 1024 });
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('page_too_large');
  });

  it('nothing reached a target during the whole battery', () => {
    expect(rig.target.hits).toEqual([]);
    expect(rig.target6.hits).toEqual([]);
    expect(rig.targetHits()).toBe(0);
  });
});

describe('browser sidecar: API edge', () => {
  it('answers 401 without the bearer token or with a wrong one, on every endpoint', async () => {
    expect((await rig.call('/health', { token: null })).status).toBe(401);
    const wrong = await rig.call('/fetch', { body: { url: `${rig.site.url}/article` }, token: 'x'.repeat(rig.token.length) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await rig.call('/fetch', { body: { url: `${rig.site.url}/article` }, token: rig.token.slice(1) })).status).toBe(401);
    expect((await rig.call('/nope', { token: null })).status).toBe(401);
  });

  it('answers 413 for a body over the cap and 400 for a bad one', async () => {
    const big = await rig.call('/fetch', { raw: JSON.stringify({ url: `http://pages.test/${'a'.repeat(MAX_FETCH_BODY_BYTES)}` }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const bad = await rig.call('/fetch', { body: { url: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await rig.call('/fetch', { body: { url: 'http://x/', extra: 1 } })).status).toBe(400);
  });

  it('reports its health and pool figures', async () => {
    const r = await rig.call('/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: 'test', pool: { size: 2, alive: 2, maxSessions: 4, active: 0, waiting: 0 } });
    expect(r.body.pool.served).toBeGreaterThan(10);
  });
});
