import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { base32Decode, timeStep, totp } from '../../../server/auth/totp.ts';
import { claimInBrowser, useBrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';

// The product's default policy (MFA_REQUIRED=admins), not the tests' usual `off`.
const fx = useBrowserFixture({ env: { MFA_REQUIRED: undefined } });

async function submit(page: Page, selector: string, values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) await page.type(`${selector} [name="${name}"]`, value);
  await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type="submit"]`)]);
}

describe('two-step sign-in in real Chromium', () => {
  it('a new admin is led to enrol, confirms with a code, and then signs in with password and code', { timeout: 90_000 }, async () => {
    const page = await fx.chromium.browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await claimInBrowser(page, fx.base, fx.server.config.ONSITE_BOOTSTRAP_TOKEN!, { name: 'Grace', email: 'grace@example.test', password: PASSWORD });
    await page.goto(`${fx.base}/`);
    expect(new URL(page.url()).pathname).toBe('/profile/mfa');
    expect(await page.$('[data-testid="mfa-required"]')).not.toBeNull();

    await Promise.all([page.waitForNavigation(), page.click('form[action="/profile/mfa/start"] button')]);
    expect(await page.$('.qr svg')).not.toBeNull();
    const secret = base32Decode(await page.$eval('[data-testid="mfa-secret"]', (e) => e.textContent));
    const confirmedStep = timeStep(Date.now());
    await submit(page, 'form[action="/profile/mfa/confirm"]', { code: totp(secret, Date.now()) });
    expect(await page.$$eval('[data-testid="recovery-codes"] code', (els) => els.length)).toBe(10);
    await page.goto(`${fx.base}/`);
    expect(new URL(page.url()).pathname).toBe('/');

    await Promise.all([page.waitForNavigation(), page.click('[data-testid="sign-out"]')]);
    await submit(page, '[data-testid="login-form"]', { email: 'grace@example.test', password: PASSWORD });
    expect(await page.$eval('[data-testid="mfa-code"]', (e) => e.getAttribute('autocomplete'))).toBe('one-time-code');
    expect((await page.browserContext().cookies()).find((c) => c.name === 'onsite_session')).toBeUndefined();
    // The confirming code's step is spent: wait for the app's next code, as a person would.
    while (timeStep(Date.now()) <= confirmedStep) await new Promise((r) => setTimeout(r, 250));
    await submit(page, '[data-testid="mfa-form"]', { code: totp(secret, Date.now()) });
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.$eval('[data-testid="signed-in-as"]', (e) => e.textContent)).toMatch(/grace@example\.test/);
    expect(errors).toEqual([]);
  });
});
