import { describe, expect, it } from 'vitest';
import type { LicenseService } from '../../../../server/license/license.service.ts';
import { licenseGate } from '../../../../server/http/middleware/license-gate.ts';
import { AppError } from '../../../../server/kernel/errors.ts';
import { codeOfResponse, tinyApp } from '../../../helpers/middleware.ts';

// Only what the gate calls, typed by the real service: read-only or writable, and how often it was asked.
function appFor(readOnly: boolean) {
  let asked = 0;
  const license: Pick<LicenseService, 'assertWritable'> = {
    assertWritable: () => {
      asked += 1;
      if (readOnly) throw new AppError('license_read_only', 'the license has expired');
    },
  };
  const app = tinyApp()
    .use(licenseGate(license as LicenseService))
    .all('*', (c) => c.text('done'));
  return { app, asked: () => asked };
}

describe('license gate', () => {
  // What must keep working when the license has run out.
  const alwaysAllowed = [
    '/api/auth/login',
    '/api/auth/login/mfa',
    '/api/auth/mfa/enrol',
    '/api/auth/mfa/confirm',
    '/login/mfa',
    '/profile/mfa/start',
    '/profile/mfa/confirm',
    '/api/auth/logout',
    '/api/auth/accept',
    '/api/miners/enroll',
    '/login',
    '/logout',
    '/api/license',
    '/api/license/install',
    '/admin/license',
    '/admin/license/request',
    '/invite/abc123',
    '/reset/abc123',
  ];
  it.each(alwaysAllowed)('past the grace period, still lets POST %s through, unasked', async (path) => {
    const { app, asked } = appFor(true);
    const res = await app.request(path, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(asked()).toBe(0);
  });

  const writes: Array<[method: string, path: string]> = [
    ['POST', '/api/conversations'],
    ['PATCH', '/api/users/u-1'],
    ['DELETE', '/api/keys/k-1'],
    ['PUT', '/api/models/x'],
    ['POST', '/api/auth/password'],
    // Near misses of the allowed paths.
    ['POST', '/api/licensed'],
    ['POST', '/api/miners/enroll/again'],
    ['POST', '/invite/abc/more'],
    ['POST', '/login/x'],
    ['POST', '/login/mfa/x'],
    ['POST', '/api/auth/mfax'],
    ['POST', '/profile/password'],
  ];
  it.each(writes)('past the grace period, refuses %s %s with 403 license_read_only', async (method, path) => {
    const { app, asked } = appFor(true);
    const res = await app.request(path, { method });
    expect(res.status).toBe(403);
    expect(await codeOfResponse(res)).toBe('license_read_only');
    expect(asked()).toBe(1);
  });

  it.each(['GET', 'HEAD', 'OPTIONS'])('past the grace period, reading (%s) works without asking', async (method) => {
    const { app, asked } = appFor(true);
    expect((await app.request('/api/conversations', { method })).status).toBe(200);
    expect(asked()).toBe(0);
  });

  it.each(writes)('with a writable license, %s %s goes through once asked', async (method, path) => {
    const { app, asked } = appFor(false);
    expect((await app.request(path, { method })).status).toBe(200);
    expect(asked()).toBe(1);
  });
});
