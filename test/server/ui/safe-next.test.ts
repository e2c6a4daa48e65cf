import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNext } from '../../../server/ui/safe-next.ts';
import { ORIGIN, PASSWORD } from '../../helpers/client.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

// Every one of these must land on `/`: each names another host once a browser
// (or a proxy decoding once more) has read it.
const REFUSED = [
  '/.//evil.example/x',
  '/./..//evil.example/x',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/a/..//evil.example',
  '/a/%2e%2e//evil.example',
  '\\\\evil.example',
  '/\\evil.example',
  '/.\\evil.example',
  '\\/evil.example',
  '%2f%2fevil.example',
  '/%2f%2fevil.example',
  '/%2F/evil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '/.%5c%5cevil.example',
  'http://evil.example',
  'https:evil.example',
  'https:/evil.example',
  '//evil.example',
  '///evil.example',
  '////evil.example/',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '\t//evil.example',
  ' /evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%252f%252fevil.example',
  '/%252e//evil.example',
  '/%255cevil.example',
  '/%25252f%25252fevil.example',
  '/%2525252f%2525252fevil.example',
  '/%zz',
  'evil.example',
  '',
  `/${'a'.repeat(600)}`,
];

// These stay as they are (normalised): paths on this site.
const KEPT: Array<[string, string]> = [
  ['/chat?x=1#y', '/chat?x=1#y'],
  ['/profile', '/profile'],
  ['/admin/users', '/admin/users'],
  ['/chat/0b6f?tab=sources', '/chat/0b6f?tab=sources'],
  ['/search?q=a%20b', '/search?q=a%20b'],
  ['/a/b/../c', '/a/c'],
  ['/@evil.example', '/@evil.example'],
  ['/', '/'],
];

describe('safeNext: sign-in redirect targets', () => {
  it(`refuses ${REFUSED.length} forms that leave the site`, () => {
    for (const form of REFUSED) expect(safeNext(form), JSON.stringify(form)).toBe('/');
    expect(safeNext(undefined)).toBe('/');
    expect(safeNext(['/profile'])).toBe('/');
  });

  it('keeps same-origin paths with their query and fragment', () => {
    for (const [form, kept] of KEPT) expect(safeNext(form), form).toBe(kept);
  });
});

describe('the sign-in pages use it for every redirect taken from the request', () => {
  let s: TestServer;
  let cookie: string;
  beforeAll(async () => {
    s = await createTestServer();
    cookie = (await claimAdmin(s)).cookie!;
  });
  afterAll(() => s.cleanup());

  const signedInGet = (query: string) => s.app.request(`${ORIGIN}/login?next=${query}`, { headers: { cookie } });

  it('GET /login?next=… (already signed in) answers with a same-origin Location only', async () => {
    // The form, sent as is: `/.//evil.example/x` used to come back as `//evil.example/x`.
    expect((await signedInGet('/.//evil.example/x')).headers.get('location')).toBe('/');
    for (const form of REFUSED) {
      const res = await signedInGet(encodeURIComponent(form));
      expect(res.status, JSON.stringify(form)).toBe(303);
      expect(res.headers.get('location'), JSON.stringify(form)).toBe('/');
    }
    for (const [form, kept] of KEPT) expect((await signedInGet(encodeURIComponent(form))).headers.get('location'), form).toBe(kept);
  });

  it('POST /login with a next field redirects only on the site, and the form carries only a safe next', async () => {
    const post = (next: string) =>
      s.app.request(`${ORIGIN}/login`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'admin@example.test', password: PASSWORD, next }).toString(),
      });
    for (const form of ['/.//evil.example/x', '/%2e//evil.example', '/a/..//evil.example', '/\\evil.example', '//evil.example', 'https:evil.example']) {
      const res = await post(form);
      expect(res.status, form).toBe(303);
      expect(res.headers.get('location'), form).toBe('/');
    }
    expect((await post('/chat?x=1#y')).headers.get('location')).toBe('/chat?x=1#y');
    const page = await (await s.app.request(`${ORIGIN}/login?next=${encodeURIComponent('/.//evil.example/x')}`)).text();
    expect(page).toContain('name="next" value="/"');
  });

  it('a guarded page sends an anonymous visitor to sign in with a safe next', async () => {
    const res = await s.app.request(`${ORIGIN}/profile?tab=keys`);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/profile?tab=keys')}`);
  });
});
