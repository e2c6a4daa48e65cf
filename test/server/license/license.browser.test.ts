import { describe, expect, it } from 'vitest';
import { decodeRequestCode } from '../../../licenses/request-code.ts';
import { useBrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { issueCode } from '../../helpers/license.ts';

const fx = useBrowserFixture();

describe('license screen in real Chromium', () => {
  it('admin copies the request code, installs the issued code, sees seats and expiry', async () => {
    const page = await fx.chromium.browser.newPage();
    await page.goto(`${fx.base}/setup`);
    for (const [name, value] of Object.entries({
      token: fx.server.config.ONSITE_BOOTSTRAP_TOKEN!,
      name: 'Lin Admin',
      email: 'lin@example.test',
      password: PASSWORD,
    })) {
      await page.type(`[name="${name}"]`, value);
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(await page.$eval('[data-testid="license-banner"]', (e) => e.textContent)).toMatch(/Evaluation mode/);

    await page.goto(`${fx.base}/admin/license`);
    expect(await page.$eval('[data-testid="license-mode"]', (e) => e.textContent)).toBe('evaluation');
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="make-request"]')]);
    const requestCode = (await page.$eval('[data-testid="request-code"]', (e) => e.textContent)).trim();
    expect(await page.$('.qr svg')).not.toBeNull();
    const request = decodeRequestCode(requestCode);

    const activation = issueCode(request.installationId, { seats: 15, days: 120 });
    await page.type('[data-testid="install-form"] textarea', activation);
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="install-form"] button[type="submit"]')]);
    expect(await page.$eval('[data-testid="license-mode"]', (e) => e.textContent)).toBe('active');
    expect(await page.$eval('[data-testid="license-seats"]', (e) => e.textContent)).toBe('1 of 15 in use');
    expect(await page.$eval('[data-testid="license-expires"]', (e) => e.textContent)).toMatch(/\(119 days left\)/);
    expect(await page.$('[data-testid="license-banner"]')).toBeNull();
    await page.screenshot({ path: '/tmp/onsite-license.png', fullPage: true });
  });
});
