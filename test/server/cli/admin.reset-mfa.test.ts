import { afterEach, describe, expect, it } from 'vitest';
import { adminCommand } from '../../../server/cli/admin.ts';
import { PASSWORD, TestClient } from '../../helpers/client.ts';
import { captureIo } from '../../helpers/cli.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { enrolMfa } from '../../helpers/mfa.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('onsite admin reset-mfa', () => {
  it("removes an account's factor and signs it out, audited as the CLI", async () => {
    s = await createTestServer({ MFA_REQUIRED: 'admins' });
    const admin = await claimAdmin(s);
    await enrolMfa(admin, Date.now);
    const io = captureIo();
    expect(await adminCommand.run(['reset-mfa', 'ADMIN@example.test'], s.env, io)).toBe(0);
    expect(io.text()).toContain('Two-step sign-in of admin@example.test removed; 1 session(s) signed out.');
    expect((await admin.get('/api/auth/me')).status).toBe(401);
    const entry = s.db.sqlite.prepare(`SELECT actor_label AS actor FROM audit_log WHERE action = 'mfa.reset'`).all();
    expect(entry).toEqual([{ actor: 'cli' }]);
    // The password alone signs in again, held to enrolment by the policy.
    const again = new TestClient(s.app);
    expect((await again.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD })).body.user).toBeTruthy();
    expect((await again.get('/api/auth/me')).body.mfaEnrolmentRequired).toBe(true);

    const none = captureIo();
    await expect(adminCommand.run(['reset-mfa', 'nobody@example.test'], s.env, none)).rejects.toMatchObject({ code: 'not_found' });
  });
});
