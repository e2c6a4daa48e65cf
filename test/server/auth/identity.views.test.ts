import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { UsersPageProps } from '../../../server/auth/users.page.tsx';
import type { MinersPageProps } from '../../../server/miners/miners.page.tsx';
import type { ProfileProps } from '../../../server/auth/account.page.tsx';
import type { UsagePageProps } from '../../../server/usage/usage.page.tsx';
import { credentialPaths, type CredentialFields } from '../../helpers/credentials.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('account, key, session and miner views', () => {
  it('pages take views with no credential field, and the API lists none, nor any stored hash', async () => {
    // Checked by the type checker: a page typed by a row with a hash fails `npm run typecheck`.
    expectTypeOf<CredentialFields<UsersPageProps['users']>>().toEqualTypeOf<never>();
    expectTypeOf<CredentialFields<UsagePageProps['users']>>().toEqualTypeOf<never>();
    expectTypeOf<CredentialFields<ProfileProps['sessions'] | ProfileProps['keys']>>().toEqualTypeOf<never>();
    expectTypeOf<CredentialFields<MinersPageProps['miners']>>().toEqualTypeOf<never>();

    s = await createTestServer();
    const admin = await claimAdmin(s);
    await admin.post('/api/keys', { name: 'ci' });
    const lists = await Promise.all(
      ['/api/users', '/api/auth/sessions', '/api/keys', '/api/miners', '/api/auth/me'].map(async (path) => (await admin.get(path)).body),
    );
    expect(lists.flatMap((body) => credentialPaths(body))).toEqual([]);
    const pages = await Promise.all(
      ['/admin/users', '/profile', '/admin/miners', '/admin/usage'].map(async (path) => {
        const res = await admin.raw('GET', path);
        expect(res.status, path).toBe(200);
        return res.text();
      }),
    );
    const shown = JSON.stringify(lists) + pages.join('');
    const hashes = s.db.sqlite
      .prepare('SELECT password_hash AS h FROM users UNION SELECT token_hash FROM sessions UNION SELECT key_hash FROM api_keys')
      .all() as Array<{ h: string }>;
    expect(hashes.length).toBeGreaterThanOrEqual(3);
    for (const { h } of hashes) expect(shown).not.toContain(h);
  });
});
