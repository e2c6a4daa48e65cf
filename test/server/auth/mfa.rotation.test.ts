import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, TestClient } from '../../helpers/client.ts';
import { secret, tempDir } from '../../helpers/env.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { createTestServer, testClock, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
const data = tempDir();
afterEach(() => {
  s?.cleanup();
  data.cleanup();
});

describe('the TOTP secret under key rotation', () => {
  it('is one of the sealed secrets `rotate-key` re-seals: codes still work under the new key alone', async () => {
    const clock = testClock();
    const [oldKey, newKey] = [secret(), secret()];
    // One data folder, restarted with other keys; the license is installed the first time only.
    const restart = async (env: Record<string, string>, license: false | undefined = false) => {
      s?.cleanup();
      s = await createTestServer({ MFA_REQUIRED: 'off', ...env }, { clock: clock.now, dataDir: data.dir, license });
      return s;
    };
    const first = await restart({ DB_ENCRYPTION_KEY: oldKey }, undefined);
    const factor = await enrolMfa(await claimAdmin(first), clock.now);
    const userId = first.identity.users.list()[0]!.id;

    const rotating = await restart({ DB_ENCRYPTION_KEY: newKey, DB_ENCRYPTION_KEY_PREVIOUS: oldKey });
    expect(rotating.secrets.rotate().resealed).toContain(`auth.totp:${userId}`);

    const after = await restart({ DB_ENCRYPTION_KEY: newKey });
    clock.advance(30_000);
    const c = new TestClient(after.app);
    const r = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
    expect((await c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code: factor.code() })).status).toBe(200);
  });
});
