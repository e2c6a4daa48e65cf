import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCollection, upload, waitReady } from '../../../helpers/knowledge.ts';
import { startStack, until, type Stack } from '../../../helpers/stack.ts';

// Switching the default embedding model re-embeds every chunk in the
// background while search keeps answering from the old vectors; a model
// whose catalog dimensions are wrong is a clear error, never a crash.
describe('knowledge base: embedding model changes', () => {
  let st: Stack;
  let collection: number;
  const actor = { label: 'test' };
  const status = () => st.s.knowledge.status();
  const tables = () =>
    (st.s.db.sqlite.prepare(`select name from sqlite_master where type = 'table' and name like 'kb_space_%'`).all() as Array<{ name: string }>).map(
      (t) => t.name,
    );

  beforeAll(async () => {
    st = await startStack({
      env: { CHUNK_SIZE_TOKENS: '64', CHUNK_OVERLAP_TOKENS: '8' },
      ollama: {
        models: [
          { name: 'llama3.2:1b', kind: 'chat', contextLength: 4096 },
          { name: 'nomic-embed-text', kind: 'embedding', contextLength: 2048, dimensions: 768 },
          { name: 'mxbai-embed-large', kind: 'embedding', contextLength: 512, dimensions: 1024 },
        ],
      },
    });
    st.s.knowledge.worker.start();
    collection = await makeCollection(st.admin, 'Manuals');
    const text = (topic: string) =>
      Array.from({ length: 12 }, (_, i) => `${topic} maintenance note ${i}: inspect the ${topic} filter and log the reading.`).join('\n\n');
    expect(
      (
        await upload(st.admin, collection, [
          { name: 'pumps.txt', bytes: text('pump') },
          { name: 'fans.txt', bytes: text('fan') },
        ])
      ).status,
    ).toBe(202);
    await waitReady(st.admin, collection, 2);
  }, 60_000);
  afterAll(async () => {
    await st?.s.knowledge.worker.stop();
    await st?.close();
  });

  it('re-embeds every chunk with the new model in the background, then switches and drops the old vectors', async () => {
    const before = status();
    expect(before.spaces).toEqual([expect.objectContaining({ model: 'nomic-embed-text', dimensions: 768, state: 'active', vectors: before.chunks })]);
    const oldTables = tables();
    st.s.catalog.save(actor, { name: 'mxbai-embed-large', kind: 'embedding', contextLength: 512, dimensions: 1024, isDefault: true });
    st.s.knowledge.worker.kick();
    // Search answers throughout, with vectors, from whichever space is active.
    let searches = 0;
    await until(
      async () => {
        const r = await st.admin.post('/api/search', { query: 'pump filter' });
        expect(r.body.mode).toBe('hybrid');
        expect((r.body.results as Array<{ title: string }>)[0]?.title).toBe('pumps.txt');
        searches += 1;
        const s = status();
        return s.spaces.length === 1 && s.spaces[0]!.model === 'mxbai-embed-large';
      },
      30_000,
      'the new space to take over',
    );
    expect(searches).toBeGreaterThan(0);
    const after = status();
    expect(after.spaces).toEqual([expect.objectContaining({ model: 'mxbai-embed-large', dimensions: 1024, state: 'active', vectors: after.chunks })]);
    expect(after.reembedding).toBeNull();
    expect(tables().some((t) => oldTables.includes(t))).toBe(false);
    const docs = (await st.admin.get(`/api/collections/${collection}`)).body.documents as Array<{ title: string; chunks: number; embeddedChunks: number }>;
    expect(docs.map((d) => d.title).sort()).toEqual(['fans.txt', 'pumps.txt']);
    for (const d of docs) expect(d.embeddedChunks, d.title).toBe(d.chunks);
    const embeds = st.ollamas[0]!.requests.filter((r) => r.path === '/api/embed' && r.model === 'mxbai-embed-large');
    expect(embeds.length).toBeGreaterThan(0);
  });

  it('a catalog entry with the wrong dimensions fails with a clear reason and the server keeps serving', async () => {
    st.s.catalog.save(actor, { name: 'nomic-embed-text', kind: 'embedding', contextLength: 2048, dimensions: 512, isDefault: true });
    st.s.knowledge.worker.kick();
    await until(() => /768-dimension vectors/.test(status().reembedding?.error ?? ''), 30_000, 'the mismatch to be reported');
    expect(status().reembedding!.error).toContain('the catalog says 512');
    const r = await upload(st.admin, collection, [{ name: 'valves.txt', bytes: 'Valve maintenance: grease the valve stem yearly.' }]);
    const id = (r.body.documents as Array<{ id: number }>)[0]!.id;
    await until(async () => (await st.admin.get(`/api/documents/${id}`)).body.status === 'failed', 30_000, 'the new document to fail');
    const doc = (await st.admin.get(`/api/documents/${id}`)).body;
    expect(doc.error).toMatch(/nomic-embed-text returned 768-dimension vectors/);
    // Keyword search still finds it, and the active space still answers.
    const found = await st.admin.post('/api/search', { query: 'valve stem' });
    expect(found.body.mode).toBe('hybrid');
    expect((found.body.results as Array<{ title: string }>)[0]?.title).toBe('valves.txt');
    expect((await st.admin.get('/health')).status).toBe(200);

    // Fixing the catalog (back to the model the active space uses) drops the half-built space; a retry then succeeds.
    st.s.catalog.save(actor, { name: 'mxbai-embed-large', kind: 'embedding', contextLength: 512, dimensions: 1024, isDefault: true });
    st.s.knowledge.worker.kick();
    await until(() => status().reembedding === null, 30_000, 'the half-built space to go');
    expect((await st.admin.post(`/api/documents/${id}/retry`, {})).status).toBe(202);
    await until(async () => (await st.admin.get(`/api/documents/${id}`)).body.status === 'ready', 30_000, 'the retried document');
  });
});
