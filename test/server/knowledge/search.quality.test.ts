import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkText } from '../../../server/knowledge/chunking/chunker.ts';
import { contextualQuery } from '../../../server/knowledge/search/follow-up.ts';
import { createRetrieval, type Retrieval } from '../../../server/knowledge/search.service.ts';
import { embedText } from '../../fixtures/ollama/embedding.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';
import { knowledgeStores } from '../../helpers/knowledge.ts';

// Retrieval quality on the labelled corpus in test/fixtures/knowledge (see its
// README): the product's own stores, FTS5 query building, vector layout and
// fusion, with the test Ollama's embedder computed in-process (the same
// function the test server answers /api/embed with). Follow-ups are searched
// as the chat searches them without a model rewrite: the earlier question
// in front of the follow-up.

const DIR = 'test/fixtures/knowledge';
const MODEL = 'nomic-embed-text';
const DIMS = 768;
const K = 5;

interface Question {
  id: string;
  kind: 'identifier' | 'title' | 'paraphrase' | 'followup';
  history?: string[];
  question: string;
  relevant: string[];
}

const questions = JSON.parse(readFileSync(join(DIR, 'questions.json'), 'utf8')) as Question[];
const files = readdirSync(join(DIR, 'corpus')).filter((f) => /\.(md|txt)$/.test(f));
const embed = (texts: string[]) => texts.map((t) => embedText(MODEL, t, DIMS));

type Method = 'keyword' | 'vector' | 'hybrid';

describe('retrieval quality on the labelled corpus', () => {
  let s: TestServer;
  let retrieval: Retrieval;
  let userId: string;
  const titleOf = new Map<number, string>();
  const recall: Record<Method, Record<string, { hit: number; of: number }>> = { keyword: {}, vector: {}, hybrid: {} };
  const missed: Record<Method, string[]> = { keyword: [], vector: [], hybrid: [] };

  beforeAll(async () => {
    s = await createTestServer();
    await claimAdmin(s);
    userId = (s.db.sqlite.prepare('select id from users limit 1').get() as { id: string }).id;
    s.catalog.save({ label: 'test' }, { name: MODEL, kind: 'embedding', contextLength: 2048, dimensions: DIMS, isDefault: true });
    const k = s.knowledge;
    const stores = knowledgeStores(s.db);
    const now = new Date();
    const c = stores.collections.insert({ name: 'Corpus', scope: 'private', ownerId: userId, createdBy: userId, createdAt: now, updatedAt: now });
    k.spaces.reconcile();
    const space = stores.vectors.active()!;
    for (const file of files) {
      const text = readFileSync(join(DIR, 'corpus', file), 'utf8');
      const doc = stores.documents.insert({
        collectionId: c.id,
        title: file,
        filename: file,
        status: 'ready',
        stage: 'done',
        createdBy: userId,
        createdAt: now,
        updatedAt: now,
      });
      titleOf.set(doc.id, file);
      const pieces = chunkText(text, { sizeTokens: 512, overlapTokens: 64 });
      stores.documents.transaction(() =>
        stores.documents.replaceChunks(
          doc.id,
          pieces.map((p) => ({
            documentId: doc.id,
            collectionId: c.id,
            seq: p.index,
            text: p.text,
            startChar: p.startChar,
            endChar: p.endChar,
            tokens: p.tokens,
          })),
        ),
      );
      const pending = stores.vectors.pending(space.id, 10_000, doc.id);
      stores.vectors.store(
        space,
        pending.map((p) => ({ chunkId: p.id, collectionId: p.collectionId, vector: Float32Array.from(embed([p.text])[0]!) })),
      );
    }
    retrieval = createRetrieval({
      collections: stores.collections,
      keyword: stores.keyword,
      vectors: stores.vectors,
      defaultTopK: K,
      log: s.logs.log,
      embed: async (_u, _m, texts) => embed(texts),
    });

    for (const q of questions) {
      const queries = q.history?.length ? [contextualQuery(q.history, q.question)] : [q.question];
      for (const method of ['keyword', 'vector', 'hybrid'] as const) {
        const methods = { keyword: method !== 'vector', vector: method !== 'keyword' };
        const out = await retrieval.search({ userId, queries, topK: K, methods });
        const docs = new Set(out.hits.map((h) => titleOf.get(h.documentId)));
        const hit = q.relevant.some((r) => docs.has(r));
        const cell = (recall[method][q.kind] ??= { hit: 0, of: 0 });
        cell.of += 1;
        cell.hit += hit ? 1 : 0;
        if (!hit) missed[method].push(q.id);
      }
    }
  }, 120_000);
  afterAll(() => s?.cleanup());

  const total = (m: Method) => Object.values(recall[m]).reduce((a, c) => ({ hit: a.hit + c.hit, of: a.of + c.of }), { hit: 0, of: 0 });
  const rate = (m: Method) => total(m).hit / total(m).of;

  it('is a real test set: at least 50 documents and 40 questions of every kind', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
    expect(questions.length).toBeGreaterThanOrEqual(40);
    for (const kind of ['identifier', 'title', 'paraphrase', 'followup'])
      expect(questions.filter((q) => q.kind === kind).length, kind).toBeGreaterThanOrEqual(6);
    for (const q of questions) for (const r of q.relevant) expect(files, q.id).toContain(r);
  });

  it('hybrid beats vector-only and keyword-only on recall@5', () => {
    const table = (['keyword', 'vector', 'hybrid'] as const)
      .map((m) => `${m}: ${rate(m).toFixed(3)} ${JSON.stringify(recall[m])} missed ${missed[m].join(',')}`)
      .join('\n');
    console.log(`recall@${K}\n${table}`);
    expect(rate('hybrid'), table).toBeGreaterThan(rate('vector'));
    expect(rate('hybrid'), table).toBeGreaterThan(rate('keyword'));
  });

  it('hybrid finds every exact-identifier and exact-title question', () => {
    for (const kind of ['identifier', 'title']) {
      const ids = questions.filter((q) => q.kind === kind).map((q) => q.id);
      expect(
        missed.hybrid.filter((id) => ids.includes(id)),
        kind,
      ).toEqual([]);
    }
  });
});
