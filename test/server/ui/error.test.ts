import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('error pages for browsers', () => {
  it('a browser gets a styled 404 page; programs and the APIs keep the JSON error', async () => {
    s = await createTestServer();
    const page = await s.app.request(`${ORIGIN}/no/such/page`, { headers: { accept: BROWSER } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('data-testid="error-page"');
    expect(html).toContain('Page not found');
    expect(html).toContain('/static/app.css'); // the site's own layout and styles

    for (const [path, accept] of [
      ['/no/such/page', 'application/json'],
      ['/no/such/page', '*/*'],
      ['/api/nothing-here', BROWSER],
      ['/v1/nothing-here', BROWSER],
    ] as const) {
      const res = await s.app.request(`${ORIGIN}${path}`, { headers: { accept } });
      expect(res.headers.get('content-type'), path).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe(path.startsWith('/v1') ? 'invalid_api_key' : 'not_found');
    }
  });

  it('a signed-in user on an admin page gets a styled 403 page', async () => {
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const user = await addUser(s, admin, 'bob@example.test');
    const res = await s.app.request(`${ORIGIN}/admin/users`, { headers: { cookie: user.client.cookie!, accept: BROWSER } });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Admins only');
    expect(html).toContain('/static/app.css');
  });
});
