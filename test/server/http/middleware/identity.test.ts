import { describe, expect, it } from 'vitest';
import { toCallerSession, toCallerUser } from '../../../../server/auth/caller.types.ts';
import type { Identity } from '../../../../server/auth/identity.service.ts';
import { identify } from '../../../../server/http/middleware/identity.ts';
import { fakeSession, fakeUser, tinyApp } from '../../../helpers/middleware.ts';

const ann = fakeUser();
const bob = fakeUser({ id: 'u-bob', email: 'bob@example.test' });

// Only what identify reads, typed by the real services: one good key, one good session token.
const seen: string[] = [];
const identity: {
  keys: Pick<Identity['keys'], 'authenticate'>;
  sessions: Pick<Identity['sessions'], 'authenticate' | 'csrfToken'>;
  mfa: Pick<Identity['mfa'], 'enrolmentRequired'>;
} = {
  keys: {
    authenticate: (presented) => {
      seen.push(`key:${presented}`);
      return presented === 'osk_good' ? { user: toCallerUser(bob), keyId: 'k-1' } : undefined;
    },
  },
  sessions: {
    authenticate: (token) => {
      seen.push(`session:${token}`);
      return token === 'good-cookie' ? { user: toCallerUser(ann), session: toCallerSession(fakeSession('s-1')) } : undefined;
    },
    csrfToken: (session) => `csrf-of-${session.id}`,
  },
  mfa: { enrolmentRequired: () => false },
};

const app = tinyApp()
  .use(identify(identity as Identity))
  .get('/', (c) => {
    const caller = c.get('caller');
    if (!caller) return c.json({ via: 'anonymous' });
    return c.json(
      caller.via === 'key'
        ? { via: 'key', user: caller.user.id, keyId: caller.keyId }
        : { via: 'session', user: caller.user.id, session: caller.session.id, csrfToken: caller.csrfToken },
    );
  });

describe('identify', () => {
  const table: Array<[why: string, url: string, headers: Record<string, string>, caller: Record<string, string>, asked: string[]]> = [
    ['nothing presented: anonymous, the routes decide', 'http://localhost/', {}, { via: 'anonymous' }, ['session:undefined']],
    ['a good API key', 'http://localhost/', { authorization: 'Bearer osk_good ' }, { via: 'key', user: bob.id, keyId: 'k-1' }, ['key:osk_good']],
    [
      'a bad API key is anonymous, whatever cookie comes with it',
      'http://localhost/',
      { authorization: 'Bearer osk_bad', cookie: 'onsite_session=good-cookie' },
      { via: 'anonymous' },
      ['key:osk_bad'],
    ],
    [
      'a good session cookie, with its CSRF token',
      'http://localhost/',
      { cookie: 'onsite_session=good-cookie' },
      { via: 'session', user: ann.id, session: 's-1', csrfToken: 'csrf-of-s-1' },
      ['session:good-cookie'],
    ],
    ['a bad session cookie', 'http://localhost/', { cookie: 'onsite_session=stale' }, { via: 'anonymous' }, ['session:stale']],
    [
      'another scheme than Bearer falls back to the cookie',
      'http://localhost/',
      { authorization: 'Basic b3NrX2dvb2Q=', cookie: 'onsite_session=good-cookie' },
      { via: 'session', user: ann.id, session: 's-1', csrfToken: 'csrf-of-s-1' },
      ['session:good-cookie'],
    ],
    ['over HTTPS only the __Host- cookie counts', 'https://localhost/', { cookie: 'onsite_session=good-cookie' }, { via: 'anonymous' }, ['session:undefined']],
    [
      'over HTTPS, the __Host- cookie',
      'https://localhost/',
      { cookie: '__Host-onsite_session=good-cookie' },
      { via: 'session', user: ann.id, session: 's-1', csrfToken: 'csrf-of-s-1' },
      ['session:good-cookie'],
    ],
  ];

  it.each(table)('%s', async (_why, url, headers, caller, asked) => {
    seen.length = 0;
    const res = await app.request(url, { headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(caller);
    expect(seen).toEqual(asked);
  });
});
