import { describe, expect, it } from 'vitest';
import { statusOf } from '../../../server/http/errors.ts';
import { AppError, BROWSER_ERROR_CODES, INIT_ERROR_CODES, isAppError, LICENSE_ERROR_CODES } from '../../../server/kernel/errors.ts';
import { FETCH_ERROR_STATUS } from '../../../server/kernel/protocol/browser.ts';

describe('AppError, the one error class of every role', () => {
  it('isAppError checks the class, one code, or any code of a role', () => {
    const err = new AppError('bundle_invalid', 'SHA256SUMS lists a missing file', { file: 'x' });
    expect(isAppError(err)).toBe(true);
    expect(isAppError(err, 'bundle_invalid')).toBe(true);
    expect(isAppError(err, 'usage')).toBe(false);
    expect(isAppError(err, INIT_ERROR_CODES)).toBe(true);
    expect(isAppError(err, LICENSE_ERROR_CODES)).toBe(false);
    expect(isAppError(new Error('bundle_invalid'), INIT_ERROR_CODES)).toBe(false);
    expect(isAppError({ code: 'bundle_invalid', message: 'a look-alike' })).toBe(false);
    expect([err.name, err.code, err.message, err.details]).toEqual(['AppError', 'bundle_invalid', 'SHA256SUMS lists a missing file', { file: 'x' }]);
  });

  it('every role code has an HTTP status, and the sidecar codes keep the statuses the sidecar answers', () => {
    for (const code of [...INIT_ERROR_CODES, ...LICENSE_ERROR_CODES, ...BROWSER_ERROR_CODES]) expect(statusOf(code), code).toBeGreaterThanOrEqual(400);
    for (const code of BROWSER_ERROR_CODES) expect(statusOf(code), code).toBe(FETCH_ERROR_STATUS[code]);
    expect(BROWSER_ERROR_CODES).toContain('url_refused');
    expect(statusOf('usage')).toBe(400);
  });
});
