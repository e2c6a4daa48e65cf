import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeenRequest } from '../../fixtures/ollama/server.ts';
import { codeOf, type TestClient } from '../../helpers/client.ts';
import { makeDocx, makePdf } from '../../helpers/documents.ts';
import { addUser } from '../../helpers/identity.ts';
import { type ApiDocument, knowledgeStores, makeCollection, upload, waitReady } from '../../helpers/knowledge.ts';
import { readSse } from '../../helpers/sse.ts';
import { EMBED_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

type Body = { messages?: Array<{ role: string; content: string }> };
// Requests without a body (a health probe's /api/tags) carry no prompt.
const promptOf = (r: SeenRequest) => ((r.body as Body | undefined)?.messages ?? []).map((m) => m.content).join('\n');

/** Sends a message and reads the stream: the sources event and the final message. */
async function ask(client: TestClient, conversationId: string, content: string) {
  const res = await client.raw('POST', `/api/conversations/${conversationId}/messages`, { content });
  expect(res.status).toBe(200);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked field by field
  const data: Record<string, any> = {};
  for await (const e of readSse(res)) data[e.event] = JSON.parse(e.data);
  return { sources: (data.sources?.sources ?? []) as Array<Record<string, unknown>>, final: data.done?.message ?? data.error?.partial, error: data.error };
}

const lastChat = (st: Stack) =>
  [...st.ollamas.flatMap((o) => o.requests)]
    .filter((r) => r.path === '/api/chat')
    .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)
    .at(-1)!;

describe('knowledge base: upload, ingestion, hybrid search and cited answers', () => {
  let st: Stack;
  let collection: number;
  let docs: ApiDocument[];
  const FILES = {
    txt: 'The Zephyr badge printer jams when the label roll is loaded upside down. Turn the roll so the glossy side faces up.',
    md: '# Quartzline VPN setup\n\nInstall the Quartzline client, then import the profile file qz-office.ovpn from the intranet.\n',
    html: '<!doctype html><html><head><title>Parking rules</title><script>alert(1)</script></head><body><h1>Parking rules</h1><p>Visitors park on level minus two of the Orchid garage.</p></body></html>',
  };

  beforeAll(async () => {
    st = await startStack({ env: { CHUNK_SIZE_TOKENS: '128', CHUNK_OVERLAP_TOKENS: '16', MAX_UPLOAD_MB: '1' } });
    st.s.knowledge.worker.start();
    collection = await makeCollection(st.admin, 'Office');
    const pdf = await makePdf([['Travel expense claims for the Lisbon office are filed with form TX-88 within thirty days.']], { title: 'Travel claims' });
    const docx = await makeDocx(
      [{ text: 'Onboarding checklist', heading: 1 }, { text: 'New hires collect their Marigold access card from reception on day one.' }],
      { title: 'Onboarding checklist' },
    );
    const r = await upload(st.admin, collection, [
      { name: 'printer.txt', bytes: FILES.txt, type: 'text/plain' },
      { name: 'vpn.md', bytes: FILES.md },
      { name: 'parking.html', bytes: FILES.html, type: 'text/html' },
      // Declared types lie on purpose: the bytes decide.
      { name: 'claims.pdf', bytes: pdf, type: 'application/octet-stream' },
      { name: 'onboarding.docx', bytes: docx, type: 'text/plain' },
    ]);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    docs = await waitReady(st.admin, collection, 5);
  }, 60_000);
  afterAll(async () => {
    await st?.s.knowledge.worker.stop();
    await st?.close();
  });

  it('lists the collection with its document counts', async () => {
    const list = (await st.admin.get('/api/collections')).body.collections as Array<{ id: number; documents: number; ready: number }>;
    expect(list.find((c) => c.id === collection)).toMatchObject({ documents: 5, ready: 5 });
  });

  it('ingests one file of each type: sniffed format, title, chunks and a vector for every chunk', () => {
    const byName = new Map(docs.map((d) => [d.title, d]));
    expect([...byName.keys()].sort()).toEqual(['Onboarding checklist', 'Parking rules', 'Quartzline VPN setup', 'Travel claims', 'printer.txt'].sort());
    expect(docs.map((d) => d.format).sort()).toEqual(['docx', 'html', 'md', 'pdf', 'txt']);
    for (const d of docs) {
      expect(d.chunks).toBeGreaterThan(0);
      expect(d.embeddedChunks).toBe(d.chunks);
    }
    const space = knowledgeStores(st.s.db).vectors.active()!;
    expect(knowledgeStores(st.s.db).vectors.vectorCount(space)).toBe(docs.reduce((n, d) => n + d.chunks, 0));
  });

  it.each([
    ['label roll upside down', 'printer.txt'],
    ['Quartzline profile import', 'Quartzline VPN setup'],
    ['where do visitors park', 'Parking rules'],
    ['TX-88', 'Travel claims'],
    ['Marigold access card', 'Onboarding checklist'],
  ])('search for %j finds %s first', async (query, title) => {
    const r = await st.admin.post('/api/search', { query });
    expect(r.status).toBe(200);
    expect(r.body.mode, String(r.body.notice)).toBe('hybrid');
    const results = r.body.results as Array<{ title: string; text: string }>;
    expect(results[0]?.title).toBe(title);
  });

  it('never indexes the script of an HTML page', async () => {
    const r = await st.admin.post('/api/search', { query: 'alert' });
    expect((r.body.results as Array<{ text: string }>).filter((x) => x.text.includes('alert(1)'))).toEqual([]);
  });

  it('a chat pointed at the collection answers with the passage in its prompt and cites the right document', async () => {
    const conv = await st.admin.post('/api/conversations', { knowledge: { collectionIds: [collection] } });
    expect(conv.status).toBe(201);
    const out = await ask(st.admin, conv.body.id as string, 'What form do I use for Lisbon travel expense claims?');
    expect(out.final.status).toBe('complete');
    const cited = out.sources.filter((s) => s.kind === 'document');
    expect(cited[0]).toMatchObject({ kind: 'document', title: 'Travel claims', chunk: 0 });
    expect(out.final.sources[0]).toMatchObject({ kind: 'document', title: 'Travel claims' });
    const prompt = promptOf(lastChat(st));
    expect(prompt).toContain('[1] Travel claims (part 1)');
    expect(prompt).toContain('form TX-88');
  });

  it('rewrites a follow-up with the model and still finds the topic the follow-up leaves out', async () => {
    const conv = await st.admin.post('/api/conversations', { knowledge: { collectionIds: [collection] } });
    const id = conv.body.id as string;
    await ask(st.admin, id, 'How do I set up the Quartzline VPN?');
    const out = await ask(st.admin, id, 'And which file do I import?');
    const rewrite = st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat' && promptOf(r).includes('standalone search query')).at(-1);
    expect(rewrite, 'a rewrite request reached the model').toBeDefined();
    expect(promptOf(rewrite!)).toContain('Last question: And which file do I import?');
    expect(promptOf(rewrite!)).toContain('How do I set up the Quartzline VPN?');
    expect(out.sources[0]).toMatchObject({ title: 'Quartzline VPN setup' });
  });

  it('whole-document mode gives the model the full text; a document too long for the window is refused before anything is written', async () => {
    const docId = docs.find((d) => d.title === 'Parking rules')!.id;
    const conv = await st.admin.post('/api/conversations', { knowledge: { documentId: docId } });
    const out = await ask(st.admin, conv.body.id as string, 'Summarise this');
    expect(out.sources).toEqual([expect.objectContaining({ kind: 'document', documentId: docId, title: 'Parking rules' })]);
    expect(out.sources[0]!.chunk).toBeUndefined();
    expect(promptOf(lastChat(st))).toContain('(the whole document)');

    const long = await upload(st.admin, collection, [{ name: 'long.txt', bytes: 'All work and no play makes a long manual. '.repeat(3000) }]);
    expect(long.status).toBe(202);
    const longId = (long.body.documents as ApiDocument[])[0]!.id;
    await until(async () => (await st.admin.get(`/api/documents/${longId}`)).body.status === 'ready', 30_000, 'long document ready');
    const c2 = await st.admin.post('/api/conversations', { knowledge: { documentId: longId } });
    const res = await st.admin.raw('POST', `/api/conversations/${c2.body.id as string}/messages`, { content: 'Summarise' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('document_too_long');
    // Refused before anything was written: not even the question.
    const after = await st.admin.get(`/api/conversations/${c2.body.id as string}`);
    expect(after.body.messages).toEqual([]);
    expect((await st.admin.delete(`/api/documents/${longId}`)).status).toBe(204);
  });

  it('refuses what it must: unsupported bytes (415), the same file twice (409), over MAX_UPLOAD_MB (413), a bad URL (400)', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6300010000050001', 'hex');
    const bad = await upload(st.admin, collection, [{ name: 'notes.txt', bytes: png, type: 'text/plain' }]);
    expect(bad.status).toBe(415);
    expect(codeOf(bad)).toBe('unsupported_type');
    const again = await upload(st.admin, collection, [{ name: 'copy.txt', bytes: FILES.txt }]);
    expect(again.status).toBe(409);
    expect(String((again.body.error as { message: string }).message)).toContain('printer.txt');
    const big = await upload(st.admin, collection, [{ name: 'big.txt', bytes: 'x'.repeat(st.s.config.MAX_UPLOAD_MB * 1024 * 1024 + 10) }]);
    expect(big.status).toBe(413);
    const url = await st.admin.post(`/api/collections/${collection}/documents`, { url: 'file:///etc/passwd' });
    expect(url.status).toBe(400);
    // One bad file refuses the whole request: the good one beside it is not added either.
    const mixed = await upload(st.admin, collection, [
      { name: 'fine.txt', bytes: 'A perfectly good file about hydrangeas.' },
      { name: 'bad.txt', bytes: png },
    ]);
    expect(mixed.status).toBe(415);
    const twins = await upload(st.admin, collection, [
      { name: 'a.txt', bytes: 'Same text twice.' },
      { name: 'b.txt', bytes: 'Same text twice.' },
    ]);
    expect(twins.status).toBe(409);
    // Ids are plain numbers: no coercion of strings, booleans or exponents.
    expect((await st.admin.get(`/api/collections/${collection}e0`)).status).toBe(404);
    expect((await st.admin.post('/api/search', { query: 'x', collectionIds: [String(collection)] })).status).toBe(400);
    expect((await st.admin.post('/api/search', { query: 'x', collectionIds: [true] })).status).toBe(400);
    expect(((await st.admin.get(`/api/collections/${collection}`)).body.documents as unknown[]).length).toBe(5);
  });

  it('deleting a document leaves no chunk, vector or FTS row behind', async () => {
    const r = await upload(st.admin, collection, [{ name: 'temp.md', bytes: '# Temporary\n\nThe Periwinkle project is cancelled.\n\n'.repeat(40) }]);
    const id = (r.body.documents as ApiDocument[])[0]!.id;
    await until(async () => (await st.admin.get(`/api/documents/${id}`)).body.status === 'ready', 30_000, 'temp ready');
    const sqlite = st.s.db.sqlite;
    const count = (sql: string, ...args: unknown[]) => (sqlite.prepare(sql).get(...args) as { n: number }).n;
    const chunkIds = (sqlite.prepare('select id from chunks where document_id = ?').all(id) as Array<{ id: number }>).map((x) => x.id);
    expect(chunkIds.length).toBeGreaterThan(1);
    const space = knowledgeStores(st.s.db).vectors.active()!;
    const before = knowledgeStores(st.s.db).vectors.vectorCount(space);
    expect(count(`select count(*) n from chunks_fts where chunks_fts match '"periwinkle"'`)).toBe(chunkIds.length);

    expect((await st.admin.delete(`/api/documents/${id}`)).status).toBe(204);
    expect(count('select count(*) n from chunks where document_id = ?', id)).toBe(0);
    expect(count(`select count(*) n from chunks_fts where chunks_fts match '"periwinkle"'`)).toBe(0);
    expect(count(`select count(*) n from chunk_vectors where chunk_id in (${chunkIds.join(',')})`)).toBe(0);
    expect(knowledgeStores(st.s.db).vectors.vectorCount(space)).toBe(before - chunkIds.length);
    expect(count('select count(*) n from document_texts where document_id = ?', id)).toBe(0);
    expect(count('select count(*) n from ingestion_jobs where document_id = ?', id)).toBe(0);
    // The FTS index agrees with its content table (FTS5's own consistency check).
    expect(() => sqlite.exec(`insert into chunks_fts(chunks_fts, rank) values ('integrity-check', 1)`)).not.toThrow();
    const after = (await st.admin.post('/api/search', { query: 'Periwinkle' })).body.results as Array<{ documentId: number; text: string }>;
    expect(after.filter((h) => h.documentId === id || h.text.includes('Periwinkle'))).toEqual([]);
  });
});

describe('knowledge base permissions: a private collection stays private through search, chat and /v1', () => {
  let st: Stack;
  let alice: { client: TestClient; id: string };
  let bob: { client: TestClient; id: string };
  let alicePrivate: number;
  let shared: number;
  const SECRET = 'Aubergine merger closes on the ninth';

  beforeAll(async () => {
    st = await startStack();
    st.s.knowledge.worker.start();
    alice = await addUser(st.s, st.admin, 'alice@example.test');
    bob = await addUser(st.s, st.admin, 'bob@example.test');
    alicePrivate = await makeCollection(alice.client, 'Alice only');
    shared = await makeCollection(st.admin, 'Company', 'shared');
    expect(
      (await upload(alice.client, alicePrivate, [{ name: 'secret.md', bytes: `# Board notes\n\nThe ${SECRET}. Aubergine merger details follow.` }])).status,
    ).toBe(202);
    expect((await upload(st.admin, shared, [{ name: 'handbook.md', bytes: '# Handbook\n\nThe Aubergine cafeteria opens at eight.' }])).status).toBe(202);
    await waitReady(alice.client, alicePrivate, 1);
    await waitReady(st.admin, shared, 1);
  }, 60_000);
  afterAll(async () => {
    await st?.s.knowledge.worker.stop();
    await st?.close();
  });

  it('an embedding model restricted to other groups still ingests and searches everyone’s documents; only /v1/embeddings is held to the groups', async () => {
    const few = ((await st.admin.post('/api/groups', { kind: 'local', name: 'Embedding users' })).body.group as { id: string }).id;
    expect((await st.admin.request('PUT', `/api/groups/models/${EMBED_MODEL}`, { groups: [few] })).status).toBe(200);
    try {
      const notes = await makeCollection(alice.client, 'Alice notes');
      expect((await upload(alice.client, notes, [{ name: 'n.md', bytes: '# Notes\n\nThe quince harvest starts in October.' }])).status).toBe(202);
      await waitReady(alice.client, notes, 1);
      const found = await alice.client.post('/api/search', { query: 'quince harvest', collectionIds: [notes] });
      expect((found.body.results as Array<{ text: string }>)[0]?.text).toContain('quince');
      const key = (await alice.client.post('/api/keys', { name: 'k' })).body.key as string;
      const res = await fetch(`${st.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: EMBED_MODEL, input: 'quince' }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_allowed');
    } finally {
      await st.admin.request('PUT', `/api/groups/models/${EMBED_MODEL}`, { groups: [] });
    }
  });

  it('the owner finds her private passage', async () => {
    const r = await alice.client.post('/api/search', { query: 'Aubergine merger' });
    expect((r.body.results as Array<{ text: string }>)[0]?.text).toContain(SECRET);
  });

  it('another user never sees it: not listed, 404 by id, absent from every search, refused in chat', async () => {
    const list = (await bob.client.get('/api/collections')).body.collections as Array<{ id: number }>;
    expect(list.map((c) => c.id)).toEqual([shared]);
    expect((await bob.client.get(`/api/collections/${alicePrivate}`)).status).toBe(404);
    const all = await bob.client.post('/api/search', { query: 'Aubergine merger ninth board notes' });
    expect(all.status).toBe(200);
    expect(JSON.stringify(all.body)).not.toContain(SECRET);
    expect((all.body.results as Array<{ collectionId: number }>).every((x) => x.collectionId === shared)).toBe(true);
    const named = await bob.client.post('/api/search', { query: 'Aubergine', collectionIds: [alicePrivate] });
    expect(named.status).toBe(404);
    expect(JSON.stringify(named.body)).not.toContain(SECRET);
    expect((await bob.client.post('/api/search', { query: 'Aubergine', collectionIds: [shared, alicePrivate] })).status).toBe(404);
    const conv = await bob.client.post('/api/conversations', { knowledge: { collectionIds: [alicePrivate] } });
    expect(conv.status).toBe(404);
    const own = await bob.client.post('/api/conversations', {});
    expect((await bob.client.patch(`/api/conversations/${own.body.id as string}`, { knowledge: { collectionIds: [alicePrivate] } })).status).toBe(404);
    const docId = ((await alice.client.get(`/api/collections/${alicePrivate}`)).body.documents as ApiDocument[])[0]!.id;
    expect((await bob.client.post('/api/conversations', { knowledge: { documentId: docId } })).status).toBe(404);
    expect((await bob.client.get(`/api/documents/${docId}/content`)).status).toBe(404);
    expect((await bob.client.delete(`/api/documents/${docId}`)).status).toBe(404);
  });

  it('a chat over everything Bob may read never carries Alice’s passage to the model', async () => {
    const conv = await bob.client.post('/api/conversations', { knowledge: { collectionIds: [shared] } });
    const before = st.ollamas[0]!.requests.length;
    const res = await bob.client.raw('POST', `/api/conversations/${conv.body.id as string}/messages`, { content: 'When does the Aubergine merger close?' });
    for await (const e of readSse(res)) void e;
    const sent = st.ollamas[0]!.requests.slice(before).map(promptOf).join('\n');
    expect(sent).toContain('cafeteria');
    expect(sent).not.toContain(SECRET);
  });

  it('through the OpenAI-compatible API: Bob’s key gets 404 for her collection, and his answers never include her passage', async () => {
    const key = (await bob.client.post('/api/keys', { name: 'sdk' })).body.key as string;
    const client = new OpenAI({ apiKey: key, baseURL: `${st.url}/v1`, maxRetries: 0 });
    const extra = (collections: number[]) => ({ onsite: { collections } }) as Record<string, unknown>;
    await expect(
      client.chat.completions.create({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'Aubergine merger?' }], ...extra([alicePrivate]) }),
    ).rejects.toMatchObject({ status: 404 });
    const before = st.ollamas[0]!.requests.length;
    const ok = (await client.chat.completions.create({
      model: 'llama3.2:1b',
      messages: [{ role: 'user', content: 'Aubergine merger?' }],
      ...extra([shared]),
    })) as unknown as { onsite?: { sources: Array<{ title: string }> } };
    expect(ok.onsite?.sources.map((s) => s.title)).toEqual(['Handbook']);
    const sent = st.ollamas[0]!.requests.slice(before).map(promptOf).join('\n');
    expect(sent).not.toContain(SECRET);
  });

  it('a shared collection is read by all and changed only by admins', async () => {
    expect((await bob.client.post('/api/collections', { name: 'Mine too', scope: 'shared' })).status).toBe(403);
    expect((await upload(bob.client, shared, [{ name: 'x.txt', bytes: 'hello there' }])).status).toBe(403);
    expect((await bob.client.delete(`/api/collections/${shared}`)).status).toBe(403);
    expect((await bob.client.get(`/api/collections/${shared}`)).status).toBe(200);
  });
});
