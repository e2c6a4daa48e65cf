import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../../server/auth/identity.service.ts';
import { csrf } from '../../../../server/http/middleware/csrf.ts';
import type { Caller } from '../../../../server/http/types.ts';
import { codeOfResponse, given, keyCaller, sessionCaller, tinyApp } from '../../../helpers/middleware.ts';

const ORIGIN = 'https://ai.corp.example';
const session = sessionCaller(); // its CSRF token is csrf-s-1
// Only what csrf reads, typed by the real service.
const identity: { sessions: Pick<Identity['sessions'], 'verifyCsrf'> } = {
  sessions: { verifyCsrf: (s, token) => token === `csrf-${s.id}` },
};

function appFor(caller: Caller | undefined) {
  let reached = 0;
  const app = tinyApp()
    .use(given(caller ? { caller } : {}))
    .use(csrf(identity as Identity, new Set([ORIGIN, 'http://onsite.lan'])))
    .all('*', (c) => {
      reached += 1;
      return c.text('done');
    });
  return { app, reached: () => reached };
}

type Case = [why: string, method: string, caller: Caller | undefined, headers: Record<string, string>, body?: BodyInit];
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const multipart = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
};
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('csrf', () => {
  const passes: Case[] = [
    ['a GET, even from another site', 'GET', session, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['a HEAD from another site', 'HEAD', session, { origin: 'https://evil.example' }],
    ['an OPTIONS from another site', 'OPTIONS', undefined, { origin: 'https://evil.example' }],
    ['an anonymous POST with no Origin (a script, a miner)', 'POST', undefined, {}],
    ['an anonymous POST from our origin', 'POST', undefined, { origin: ORIGIN }],
    ['an API key with neither Origin nor token: no ambient credential', 'POST', keyCaller(), {}],
    ['a session with our Origin and its token in the header', 'POST', session, { origin: ORIGIN, 'x-csrf-token': 'csrf-s-1' }],
    ['a session with another of our origins', 'DELETE', session, { origin: 'http://onsite.lan', 'x-csrf-token': 'csrf-s-1' }],
    ['a session with only a Referer of ours', 'PATCH', session, { referer: `${ORIGIN}/chat/1?x=y`, 'x-csrf-token': 'csrf-s-1' }],
    ['a session form post with the _csrf field', 'POST', session, { origin: ORIGIN, ...FORM }, form({ _csrf: 'csrf-s-1', name: 'x' })],
    ['a session multipart post with the _csrf field', 'POST', session, { origin: ORIGIN }, multipart({ _csrf: 'csrf-s-1' })],
    ['same-site fetch metadata', 'POST', session, { origin: ORIGIN, 'sec-fetch-site': 'same-origin', 'x-csrf-token': 'csrf-s-1' }],
  ];
  it.each(passes)('lets through %s', async (_why, method, caller, headers, body) => {
    const { app, reached } = appFor(caller);
    const res = await app.request('/api/thing', { method, headers, ...(body ? { body } : {}) });
    expect(res.status).toBe(200);
    expect(reached()).toBe(1);
  });

  const refused: Case[] = [
    ['a foreign Origin, anonymous', 'POST', undefined, { origin: 'https://evil.example' }],
    ['a foreign Origin with an API key', 'POST', keyCaller(), { origin: 'https://evil.example' }],
    ['a foreign Origin with the right session token', 'POST', session, { origin: 'https://evil.example', 'x-csrf-token': 'csrf-s-1' }],
    ['Origin: null (a sandboxed frame, a no-referrer form)', 'POST', undefined, { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', 'PUT', keyCaller(), { 'sec-fetch-site': 'cross-site' }],
    ['our origin on another scheme', 'POST', session, { origin: 'http://ai.corp.example', 'x-csrf-token': 'csrf-s-1' }],
    ['a session with no Origin or Referer', 'POST', session, { 'x-csrf-token': 'csrf-s-1' }],
    ['a session with a foreign Referer', 'POST', session, { referer: 'https://evil.example/ai.corp.example', 'x-csrf-token': 'csrf-s-1' }],
    ['a session with a Referer that is no URL', 'POST', session, { referer: 'ai.corp.example', 'x-csrf-token': 'csrf-s-1' }],
    ['a session without its token', 'POST', session, { origin: ORIGIN }],
    ['a session with another session’s token', 'POST', session, { origin: ORIGIN, 'x-csrf-token': 'csrf-s-2' }],
    ['a session form post with a wrong _csrf field', 'POST', session, { origin: ORIGIN, ...FORM }, form({ _csrf: 'csrf-s-2' })],
    [
      'a session JSON post with the token only in its body',
      'POST',
      session,
      { origin: ORIGIN, 'content-type': 'application/json' },
      JSON.stringify({ _csrf: 'csrf-s-1' }),
    ],
  ];
  it.each(refused)('refuses %s with 403 csrf_failed, before the route', async (_why, method, caller, headers, body) => {
    const { app, reached } = appFor(caller);
    const res = await app.request('/api/thing', { method, headers, ...(body ? { body } : {}) });
    expect(res.status).toBe(403);
    expect(await codeOfResponse(res)).toBe('csrf_failed');
    expect(reached()).toBe(0);
  });
});
