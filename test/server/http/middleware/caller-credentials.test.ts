import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { identify } from '../../../../server/http/middleware/identity.ts';
import type { Caller } from '../../../../server/http/types.ts';
import { PASSWORD } from '../../../helpers/client.ts';
import { claimAdmin } from '../../../helpers/identity.ts';
import { tinyApp } from '../../../helpers/middleware.ts';
import { createTestServer, type TestServer } from '../../../helpers/server.ts';

// A field name that names credential material. `csrfToken` is the one allowed: the
// anti-forgery value a page must embed in its forms, which signs nobody in alone.
const CREDENTIAL = /hash|token|secret|password/i;
const ALLOWED = new Set(['csrfToken']);

/** Every field name reachable in a type, down through objects (a Date is a leaf). */
type FieldNames<T> = T extends Date ? never : T extends object ? { [K in keyof T & string]: K | FieldNames<T[K]> }[keyof T & string] : never;
type Credential = `${string}${'hash' | 'token' | 'secret' | 'password'}${string}`;
type CredentialFields<T> = { [K in FieldNames<T>]: Lowercase<K> extends Credential ? K : never }[FieldNames<T>];

/** Paths of the fields of a value whose names look like credentials. */
function credentialPaths(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(CREDENTIAL.test(k) && !ALLOWED.has(k) ? [`${path}${k}`] : []), ...credentialPaths(v, `${path}${k}.`)]);
}

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('the Caller a route or page sees', () => {
  it('names no credential field in its type (but the CSRF token) and holds none at runtime, for a real session and a real API key', async () => {
    // Checked by the type checker: a credential field added to the Caller's types fails `npm run typecheck`.
    expectTypeOf<Exclude<CredentialFields<Caller>, 'csrfToken'>>().toEqualTypeOf<never>();
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const key = (await admin.post('/api/keys', { name: 'ci' })).body.key as string;
    const { token } = await s.identity.login.login('admin@example.test', PASSWORD, {});
    const seen: Caller[] = [];
    const app = tinyApp()
      .use(identify(s.identity))
      .get('/', (c) => {
        const caller = c.get('caller');
        if (caller) seen.push(caller);
        return c.json({ ok: Boolean(caller) });
      });

    await app.request('/', { headers: { cookie: `onsite_session=${token}` } });
    await app.request('/', { headers: { authorization: `Bearer ${key}` } });

    expect(seen.map((c) => c.via)).toEqual(['session', 'key']);
    expect(seen.map((c) => c.user.email)).toEqual(['admin@example.test', 'admin@example.test']);
    expect(seen.flatMap((c) => credentialPaths(c))).toEqual([]);
    // The session's hashed cookie token, the password hash and the key's hash appear nowhere, whatever their names.
    const dump = JSON.stringify(seen);
    const row = s.db.sqlite.prepare('SELECT password_hash FROM users').get() as { password_hash: string };
    expect(dump).not.toContain(row.password_hash);
    for (const { h } of s.db.sqlite.prepare('SELECT token_hash AS h FROM sessions UNION SELECT key_hash FROM api_keys').all() as Array<{ h: string }>) expect(dump).not.toContain(h);
  });
});
