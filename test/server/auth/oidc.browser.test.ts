import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserFixture, type BrowserFixture } from '../../helpers/chromium.ts';
import { decodeRequestCode } from '../../../licenses/request-code.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { issueCode } from '../../helpers/license.ts';
import { startOidcProvider, type TestProvider } from '../../helpers/oidc-provider.ts';
import { freePort } from '../../helpers/processes.ts';

let op: TestProvider;
let fx: BrowserFixture;
let base: string;

beforeAll(async () => {
  // The provider must know the app's callback and the app the provider's issuer: the app's port is chosen first.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  op = await startOidcProvider({
    redirectUris: [`${base}/auth/oidc/callback`],
    postLogoutRedirectUris: [`${base}/login`],
    users: { alice: { email: 'alice@example.test', name: 'Alice Directory', groups: ['staff'] } },
  });
  fx = await startBrowserFixture({
    env: {
      PORT: String(port),
      APP_BASE_URL: base,
      OIDC_ISSUER_URL: op.issuer,
      OIDC_CLIENT_ID: op.clientId,
      OIDC_CLIENT_SECRET: op.clientSecret,
      OIDC_SCOPES: 'openid email profile groups',
      OIDC_DISPLAY_NAME: 'Example SSO',
      OIDC_ALLOWED_GROUPS: 'staff',
    },
  });
  const claim = await fetch(`${base}/api/setup/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ token: fx.server.config.ONSITE_BOOTSTRAP_TOKEN, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
  });
  expect(claim.status).toBe(201);
  // More seats than the evaluation's one, which the admin takes.
  const admin = { cookie: claim.headers.getSetCookie()[0]!.split(';')[0]!, csrf: ((await claim.json()) as { csrfToken: string }).csrfToken };
  const api = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      body: JSON.stringify(body),
    });
  const { code } = (await (await api('/api/license/request', {})).json()) as { code: string };
  const installed = await api('/api/license/install', { code: issueCode(decodeRequestCode(code).installationId, { seats: 10 }) });
  expect(installed.status, await installed.clone().text()).toBe(200);
}, 60_000);
afterAll(async () => {
  await fx?.close();
  await op?.stop();
});

describe('OpenID Connect in real Chromium', () => {
  it('signs in through the sign-in page and the provider, and signs out at both', async () => {
    const page = await fx.chromium.browser.newPage();
    const errors: string[] = [];
    // Onsite's pages must log no error; the test provider's bare pages have no favicon, which is not ours to fix.
    page.on('console', (m) => m.type() === 'error' && !m.location().url?.startsWith(op.issuer) && errors.push(`${m.text()} ${m.location().url}`));
    await page.goto(`${base}/login`);
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="sso-login"]')]);
    expect(new URL(page.url()).origin).toBe(op.issuer);

    await page.type('input[name="login"]', 'alice');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button[type="submit"]')]);
    expect(page.url(), await page.$eval('body', (e) => e.textContent)).toBe(`${base}/`);
    expect(await page.$eval('[data-testid="signed-in-as"]', (e) => e.textContent)).toMatch(/alice@example\.test \(user\)/);
    const cookies = await page.browserContext().cookies();
    expect(cookies.find((c) => c.name === 'onsite_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(cookies.find((c) => c.name === 'onsite_oidc_flow')).toBeUndefined();

    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('[data-testid="sign-out"]')]);
    // The provider's sign-out page submits itself and returns to Onsite's sign-in page.
    await page.waitForFunction((b) => location.href.startsWith(`${b}/login`), { timeout: 10_000 }, base);
    await page.goto(`${base}/profile`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });
});
