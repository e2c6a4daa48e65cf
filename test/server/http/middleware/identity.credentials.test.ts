import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { identify } from '../../../../server/http/middleware/identity.ts';
import type { Caller } from '../../../../server/http/types.ts';
import { PASSWORD } from '../../../helpers/client.ts';
import { credentialPaths, type CredentialFields } from '../../../helpers/credentials.ts';
import { claimAdmin } from '../../../helpers/identity.ts';
import { tinyApp } from '../../../helpers/middleware.ts';
import { createTestServer, type TestServer } from '../../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('the Caller a route or page sees', () => {
  it('names no credential field in its type (the CSRF token is not one) and holds none at runtime, for a real session and a real API key', async () => {
    // Checked by the type checker: a credential field added to the Caller's types fails `npm run typecheck`.
    expectTypeOf<CredentialFields<Caller>>().toEqualTypeOf<never>();
    s = await createTestServer();
    const admin = await claimAdmin(s);
    const key = (await admin.post('/api/keys', { name: 'ci' })).body.key as string;
    const signedIn = await s.identity.login.login('admin@example.test', PASSWORD, {});
    if (signedIn.mfaRequired) throw new Error('no MFA expected here');
    const { token } = signedIn;
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
    for (const { h } of s.db.sqlite.prepare('SELECT token_hash AS h FROM sessions UNION SELECT key_hash FROM api_keys').all() as Array<{ h: string }>)
      expect(dump).not.toContain(h);
  });
});
