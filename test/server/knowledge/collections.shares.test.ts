import { afterEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

async function setup() {
  s = await createTestServer({ MINER_QUEUE_SYNC_WAIT_S: '1' }); // no miner here: a generation that gets that far fails fast
  const admin = await claimAdmin(s);
  await admin.post('/api/models', { name: 'chat-model', kind: 'chat', contextLength: 4096 });
  const [carol, bob, dan] = [
    await addUser(s, admin, 'carol@example.test'),
    await addUser(s, admin, 'bob@example.test'),
    await addUser(s, admin, 'dan@example.test'),
  ];
  const legal = ((await admin.post('/api/groups', { kind: 'local', name: 'Legal' })).body.group as { id: string }).id;
  await admin.request('PUT', `/api/groups/${legal}/members/${bob.id}`);
  const id = (await carol.client.post('/api/collections', { name: 'Contracts' })).body.id as number;
  return { t: s, admin, carol, bob, dan, legal, id };
}

const listed = async (c: { get: (p: string) => Promise<{ body: Record<string, unknown> }> }) =>
  ((await c.get('/api/collections')).body.collections as Array<{ name: string }>).map((x) => x.name);

describe('collections shared with groups', () => {
  it('a read share lets the group read — list, open, ground a chat, search — and nobody else', async () => {
    const { admin, carol, bob, dan, legal, id } = await setup();
    expect(codeOf(await bob.client.get(`/api/collections/${id}`))).toBe('not_found');
    const shared = await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: legal, access: 'read' }] });
    expect(shared.body).toEqual({ shares: [{ groupId: legal, access: 'read' }] });

    expect(await listed(bob.client)).toEqual(['Contracts']);
    expect((await bob.client.get(`/api/collections/${id}`)).status).toBe(200);
    expect(codeOf(await bob.client.post('/api/search', { query: 'term', collectionIds: [id] }))).not.toBe('not_found');
    expect(await listed(dan.client)).toEqual([]);
    expect(codeOf(await dan.client.get(`/api/collections/${id}`))).toBe('not_found');
    expect(codeOf(await dan.client.post('/api/search', { query: 'term', collectionIds: [id] }))).toBe('not_found');
    expect(codeOf(await dan.client.post('/api/conversations', { knowledge: { collectionIds: [id] } }))).toBe('not_found');
    expect((await bob.client.post('/api/conversations', { knowledge: { collectionIds: [id] } })).status).toBe(201);

    // A document page, and the /v1 onsite.collections extension, check the same shares.
    const form = new FormData();
    form.append('file', new Blob(['The notice period is ninety days.'], { type: 'text/plain' }), 'terms.txt');
    const uploaded = await carol.client.raw('POST', `/api/collections/${id}/documents`, undefined, { body: form });
    expect(uploaded.status).toBe(202);
    const docId = ((await uploaded.json()) as { documents: Array<{ id: number }> }).documents[0]!.id;
    expect((await bob.client.get(`/api/documents/${docId}`)).status).toBe(200);
    expect(codeOf(await dan.client.get(`/api/documents/${docId}`))).toBe('not_found');
    const v1 = async (u: typeof bob) => {
      const key = (await u.client.post('/api/keys', { name: 'k' })).body.key as string;
      const res = await s!.app.request('http://localhost:8000/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat-model', messages: [{ role: 'user', content: 'notice?' }], onsite: { collections: [id] } }),
      });
      return ((await res.json()) as { error?: { code?: string } }).error?.code;
    };
    expect(await v1(dan)).toBe('not_found');
    expect(await v1(bob)).not.toBe('not_found');

    // Read-only: Bob cannot change it or share it.
    expect(codeOf(await bob.client.patch(`/api/collections/${id}`, { name: 'Mine' }))).toBe('forbidden');
    expect(codeOf(await bob.client.request('PUT', `/api/collections/${id}/shares`, { shares: [] }))).toBe('forbidden');

    // Out of the group: not readable at the next request.
    await admin.delete(`/api/groups/${legal}/members/${bob.id}`);
    expect(codeOf(await bob.client.get(`/api/collections/${id}`))).toBe('not_found');
  });

  it('a write share lets the group change documents and the name, not delete or share; audited; Everyone is every user', async () => {
    const { t, admin, carol, bob, dan, legal, id } = await setup();
    await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: legal, access: 'write' }] });
    expect((await bob.client.patch(`/api/collections/${id}`, { name: 'Contracts 2026' })).status).toBe(200);
    expect(codeOf(await bob.client.delete(`/api/collections/${id}`))).toBe('forbidden');
    expect(codeOf(await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: 'no-such', access: 'read' }] }))).toBe('not_found');

    await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: 'everyone', access: 'read' }] });
    expect(await listed(dan.client)).toEqual(['Contracts 2026']);
    expect(codeOf(await dan.client.patch(`/api/collections/${id}`, { name: 'x' }))).toBe('forbidden');
    const entries = t.identity.audit.list({ action: 'collection.share', limit: 10 });
    expect(entries.at(-1)?.details).toEqual({ before: [], after: [{ groupId: legal, access: 'write' }] });
    expect(entries[0]?.details).toEqual({ before: [{ groupId: legal, access: 'write' }], after: [{ groupId: 'everyone', access: 'read' }] });

    // Deleting a group removes its shares, never the collection.
    await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: legal, access: 'read' }] });
    expect((await admin.delete(`/api/groups/${legal}`)).status).toBe(200);
    expect((await carol.client.get(`/api/collections/${id}`)).status).toBe(200);
    expect((await carol.client.get(`/api/collections/${id}/shares`)).body.shares).toEqual([]);
  });

  it('answers "who may read this?" from the same SQL, for its owner or an admin', async () => {
    const { admin, carol, bob, dan, legal, id } = await setup();
    await carol.client.request('PUT', `/api/collections/${id}/shares`, { shares: [{ groupId: legal, access: 'read' }] });
    const readers = (await carol.client.get(`/api/collections/${id}/access`)).body.readers as Array<{ email: string; via: unknown }>;
    expect(readers.map((r) => [r.email, r.via])).toEqual([
      ['bob@example.test', { groupId: legal }],
      ['carol@example.test', 'owner'],
    ]);
    expect((await admin.get(`/api/collections/${id}/access`)).status).toBe(404); // a private collection is not the admin's to read
    expect(codeOf(await bob.client.get(`/api/collections/${id}/access`))).toBe('forbidden');
    for (const u of [bob, dan])
      expect((await u.client.get(`/api/collections/${id}`)).status === 200).toBe(readers.some((r) => r.email.startsWith(u === bob ? 'bob' : 'dan')));
  });

  it('lets users make org-wide collections only when ORG_COLLECTIONS_BY=users, and then change the ones they made', async () => {
    const { carol } = await setup();
    expect(codeOf(await carol.client.post('/api/collections', { name: 'Handbook', scope: 'shared' }))).toBe('forbidden');
    s!.cleanup();
    s = await createTestServer({ ORG_COLLECTIONS_BY: 'users' });
    const admin = await claimAdmin(s);
    const [ann, ben] = [await addUser(s, admin, 'ann@example.test'), await addUser(s, admin, 'ben@example.test')];
    const made = await ann.client.post('/api/collections', { name: 'Handbook', scope: 'shared' });
    expect(made.status).toBe(201);
    const id = made.body.id as number;
    expect((await ann.client.patch(`/api/collections/${id}`, { name: 'Staff handbook' })).status).toBe(200);
    expect((await ben.client.get(`/api/collections/${id}`)).status).toBe(200);
    expect(codeOf(await ben.client.patch(`/api/collections/${id}`, { name: 'x' }))).toBe('forbidden');
  });
});
