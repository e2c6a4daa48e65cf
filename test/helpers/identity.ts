import { PASSWORD, TestClient } from './client.ts';
import type { TestServer } from './server.ts';

/** Claims the first admin on a test server and returns the signed-in admin client. */
export async function claimAdmin(s: TestServer, email = 'admin@example.test'): Promise<TestClient> {
  const admin = new TestClient(s.app);
  const r = await admin.post('/api/setup/claim', { token: s.config.ONSITE_BOOTSTRAP_TOKEN, name: 'Admin', email, password: PASSWORD });
  if (r.status !== 201) throw new Error(`claim failed: ${JSON.stringify(r.body)}`);
  return admin;
}

/** Creates a user through the admin API and returns a signed-in client for them. */
export async function addUser(s: TestServer, admin: TestClient, email: string, role: 'admin' | 'user' = 'user'): Promise<{ client: TestClient; id: string }> {
  const created = await admin.post('/api/users', { email, name: email.split('@')[0], role, password: PASSWORD });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const client = new TestClient(s.app);
  const login = await client.post('/api/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { client, id: (created.body.user as { id: string }).id };
}
