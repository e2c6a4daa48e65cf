import { describe, expect, it } from 'vitest';
import { mfaEnrolmentGate } from '../../../../server/http/middleware/mfa-enrolment.ts';
import type { Caller } from '../../../../server/http/types.ts';
import { fakeUser, given, keyCaller, sessionCaller, tinyApp } from '../../../helpers/middleware.ts';

const held: Caller = { ...sessionCaller(fakeUser({ role: 'admin' })), mfaEnrolmentRequired: true } as Caller;
const appFor = (caller: Caller) =>
  tinyApp()
    .use(given({ caller }))
    .use(mfaEnrolmentGate)
    .all('*', (c) => c.json({ reached: true }));

describe('the MFA enrolment gate', () => {
  it.each([
    '/api/auth/me',
    '/api/auth/logout',
    '/api/auth/mfa',
    '/api/auth/mfa/enrol',
    '/api/auth/mfa/confirm',
    '/profile/mfa',
    '/profile/mfa/start',
    '/account/mfa',
    '/logout',
    '/static/app.css',
  ])('lets a held session reach %s', async (path) => {
    expect((await appFor(held).request(path, { method: 'POST' })).status).toBe(200);
  });

  it.each(['/api/users', '/api/auth/mfax', '/api/auth/sessions', '/api/auth/me/x', '/v1/chat/completions'])(
    'answers 403 mfa_enrolment_required on %s',
    async (path) => {
      const res = await appFor(held).request(path);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('mfa_enrolment_required');
    },
  );

  it.each(['/', '/profile', '/profile/mfax', '/admin/users', '/chat'])('redirects page %s to the enrolment page', async (path) => {
    const res = await appFor(held).request(path);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/profile/mfa');
  });

  it('leaves API keys and other sessions alone', async () => {
    expect((await appFor(keyCaller(fakeUser({ role: 'admin' }))).request('/api/users')).status).toBe(200);
    expect((await appFor(sessionCaller(fakeUser({ role: 'admin' }))).request('/api/users')).status).toBe(200);
  });
});
