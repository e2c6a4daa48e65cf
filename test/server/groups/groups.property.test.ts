import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, type TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

// A small seeded generator: the same random world on every run, a different one per seed.
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer({ RATE_LIMIT_PER_MINUTE: '100000' }); // hundreds of requests from one admin
});
afterAll(() => s?.cleanup());

describe('permissions: what the views say is what the API allows', () => {
  it.each([11, 23, 47])('for random users, groups, models and collections (seed %i)', { timeout: 120_000 }, async (seed) => {
    const random = rng(seed);
    const pick = <T>(xs: readonly T[]) => xs.filter(() => random() < 0.5);
    const t = s;
    // A fresh world per seed on the same server: new names, so earlier seeds do not interfere.
    const admin = seed === 11 ? await claimAdmin(t) : await signedInAdmin(t);
    const users: Array<{ client: TestClient; id: string }> = [];
    for (let i = 0; i < 5; i++) users.push(await addUser(t, admin, `u${seed}-${i}@example.test`));
    const groups: string[] = [];
    for (let i = 0; i < 3; i++) groups.push(((await admin.post('/api/groups', { kind: 'local', name: `g${seed}-${i}` })).body.group as { id: string }).id);
    for (const g of groups) for (const u of pick(users)) await admin.request('PUT', `/api/groups/${g}/members/${u.id}`);
    const models: string[] = [];
    for (let i = 0; i < 4; i++) {
      const name = `m${seed}-${i}`;
      await admin.post('/api/models', { name, kind: 'chat', contextLength: 2048 });
      const open = pick(groups);
      if (open.length > 0) await admin.request('PUT', `/api/groups/models/${name}`, { groups: open });
      models.push(name);
    }
    const collections: number[] = [];
    for (const owner of users.slice(0, 3)) {
      const id = (await owner.client.post('/api/collections', { name: `c${seed}-${collections.length}` })).body.id as number;
      const shares = pick(groups).map((groupId) => ({ groupId, access: random() < 0.5 ? 'read' : 'write' }));
      await owner.client.request('PUT', `/api/collections/${id}/shares`, { shares });
      collections.push(id);
    }

    for (const u of users) {
      const view = (await admin.get(`/api/groups/permissions/users/${u.id}`)).body.models as Array<{ model: string; via: unknown }>;
      const key = (await u.client.post('/api/keys', { name: 'k' })).body.key as string;
      const listed = (
        (await (await t.app.request('http://localhost:8000/v1/models', { headers: { authorization: `Bearer ${key}` } })).json()) as {
          data: Array<{ id: string }>;
        }
      ).data.map((m) => m.id);
      for (const model of models) {
        const allowed = view.find((v) => v.model === model)!.via !== null;
        expect(listed.includes(model), `${u.id} lists ${model}`).toBe(allowed);
        const created = await u.client.post('/api/conversations', { model });
        expect(created.status === 201 ? 'allowed' : codeOf(created), `${u.id} uses ${model}`).toBe(allowed ? 'allowed' : 'model_not_allowed');
        const who = (await admin.get(`/api/groups/permissions/models/${model}`)).body.users as Array<{ userId: string }>;
        expect(who.some((w) => w.userId === u.id)).toBe(allowed);
      }
      const readable = new Set(((await u.client.get('/api/collections')).body.collections as Array<{ id: number }>).map((c) => c.id));
      for (const id of collections) {
        const open = await u.client.get(`/api/collections/${id}`);
        expect(open.status === 200, `${u.id} reads collection ${id}`).toBe(readable.has(id));
        const search = await u.client.post('/api/search', { query: 'x', collectionIds: [id] });
        expect(codeOf(search) === 'not_found', `${u.id} searches collection ${id}`).toBe(!readable.has(id));
      }
    }
  });
});

// Later seeds sign the first admin in again (the server is claimed once).
async function signedInAdmin(t: TestServer): Promise<TestClient> {
  const { TestClient: Client, PASSWORD } = await import('../../helpers/client.ts');
  const c = new Client(t.app);
  const r = await c.post('/api/auth/login', { email: 'admin@example.test', password: PASSWORD });
  if (r.status !== 200) throw new Error(`admin sign-in failed: ${JSON.stringify(r.body)}`);
  return c;
}
