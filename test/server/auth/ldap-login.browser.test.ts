// LDAP sign-in through the real sign-in page in Chromium, against a real slapd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequestCode } from '../../../licenses/request-code.ts';
import { startBrowserFixture, type BrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { ldapEnv } from '../../helpers/ldap.ts';
import { issueCode } from '../../helpers/license.ts';
import { startSlapd, USERS, type Slapd } from '../../helpers/slapd.ts';

let slapd: Slapd;
let fx: BrowserFixture;

beforeAll(async () => {
  slapd = await startSlapd();
  fx = await startBrowserFixture({ env: ldapEnv(slapd) });
  const claim = await fetch(`${fx.base}/api/setup/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: fx.base },
    body: JSON.stringify({ token: fx.server.config.ONSITE_BOOTSTRAP_TOKEN, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
  });
  expect(claim.status).toBe(201);
  // More seats than the evaluation's one, which the admin takes.
  const admin = { cookie: claim.headers.getSetCookie()[0]!.split(';')[0]!, csrf: ((await claim.json()) as { csrfToken: string }).csrfToken };
  const api = (path: string, body: unknown) =>
    fetch(`${fx.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: fx.base, cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      body: JSON.stringify(body),
    });
  const { code } = (await (await api('/api/license/request', {})).json()) as { code: string };
  expect((await api('/api/license/install', { code: issueCode(decodeRequestCode(code).installationId, { seats: 10 }) })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await fx?.close();
  await slapd?.stop();
});

describe('LDAP sign-in in real Chromium', () => {
  it('takes a directory user name on the normal sign-in page', async () => {
    const page = await fx.chromium.browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
    await page.goto(`${fx.base}/login`);
    await page.type('input[name="email"]', 'bob');
    await page.type('input[name="password"]', 'not-his-password');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(await page.$eval('body', (e) => e.textContent)).toMatch(/incorrect/);

    // A form the browser would refuse to send (type="email" and "bob") would never navigate.
    await page.$eval('input[name="email"]', (e) => (e.value = ''));
    await page.type('input[name="email"]', 'bob');
    await page.type('input[name="password"]', USERS.bob.password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button[type="submit"]')]);
    expect(page.url(), await page.$eval('body', (e) => e.textContent)).toBe(`${fx.base}/`);
    expect(await page.$eval('[data-testid="signed-in-as"]', (e) => e.textContent)).toMatch(/bob@example\.test \(user\)/);
    expect(
      errors.filter((e) => !/401/.test(e)),
      errors.join('\n'),
    ).toEqual([]);
    await page.close();
  });
});
