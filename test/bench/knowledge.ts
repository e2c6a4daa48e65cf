// The knowledge base end to end inside the server's own stores: a hybrid
// query (FTS5 BM25 + sqlite-vec KNN, fused) over 100,000 chunks × 768
// dims, and ingestion throughput (chunk, embed, store) with a fast
// in-process embedder standing in for the miners. One core: every query
// and every ingestion step runs on the Node main thread.
import { EXTRACT_LIMITS } from '../../server/knowledge/extract/limits.ts';
import { createIngestionWorker } from '../../server/knowledge/ingestion/worker.ts';
import { createRetrieval } from '../../server/knowledge/search.service.ts';
import { embedText } from '../fixtures/ollama/embedding.ts';
import { claimAdmin } from '../helpers/identity.ts';
import { createTestServer, type TestServer } from '../helpers/server.ts';
import { gauss, normalise, seededRandom } from '../helpers/vectors.ts';
import { median, percentile } from './lib.ts';
import { knowledgeStores } from '../helpers/knowledge.ts';

const CHUNKS = Number(process.env.KB_BENCH_CHUNKS ?? 100_000);
const DIMS = 768;
const COLLECTIONS = 20;
const TOPICS = 500;
const QUERIES = 200;
const BATCH = 5_000;
const INGEST_DOCS = 60;
const SEED = 0x6b62;

function around(base: Float32Array, sigma: number, r: () => number): Float32Array {
  const v = new Float32Array(base.length);
  for (let i = 0; i < v.length; i++) v[i] = base[i]! + sigma * gauss(r);
  return normalise(v);
}

// Pseudo-words: a 6,000-word vocabulary used Zipf-like, plus 40 words per topic.
function vocabulary(r: () => number, n: number): string[] {
  const syl = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'dor', 'fen', 'gal', 'hum', 'jix', 'quo'];
  // 3 to 5 syllables: tens of thousands of possible words, so topic words rarely collide with common ones.
  return Array.from({ length: n }, () => Array.from({ length: 3 + Math.floor(r() * 3) }, () => syl[Math.floor(r() * syl.length)]).join(''));
}

async function fill(s: TestServer, userId: string, r: () => number) {
  const k = s.knowledge;
  const stores = knowledgeStores(s.db);
  const words = vocabulary(r, 6_000);
  const topicWords = Array.from({ length: TOPICS }, () => vocabulary(r, 40));
  const topicVecs = Array.from({ length: TOPICS }, () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r))));
  const now = new Date();
  const collections = Array.from(
    { length: COLLECTIONS },
    (_, i) => stores.collections.insert({ name: `c${i}`, scope: 'private', ownerId: userId, createdBy: userId, createdAt: now, updatedAt: now }).id,
  );
  k.spaces.reconcile();
  const space = stores.vectors.active()!;
  const topicOf: number[] = [];
  const perDoc = 50;
  for (let start = 0; start < CHUNKS; start += BATCH) {
    const rows: Array<{ chunkId: number; collectionId: number; vector: Float32Array }> = [];
    stores.documents.transaction(() => {
      for (let d = start; d < start + BATCH; d += perDoc) {
        const collectionId = collections[(d / perDoc) % COLLECTIONS]!;
        const topic = Math.floor(r() * TOPICS);
        const doc = stores.documents.insert({
          collectionId,
          title: `doc ${d / perDoc}`,
          status: 'ready',
          stage: 'done',
          createdBy: userId,
          createdAt: now,
          updatedAt: now,
        });
        const pieces = Array.from({ length: perDoc }, (_, i) => {
          const text = Array.from({ length: 60 }, () =>
            r() < 0.15 ? topicWords[topic]![Math.floor(r() * 40)] : words[Math.floor(words.length * r() ** 2)],
          ).join(' ');
          return { documentId: doc.id, collectionId, seq: i, text, startChar: 0, endChar: text.length, tokens: 80 };
        });
        stores.documents.replaceChunks(doc.id, pieces);
        for (const c of stores.documents.chunks(doc.id)) {
          rows.push({ chunkId: c.id, collectionId, vector: around(topicVecs[topic]!, 0.045, r) });
          topicOf[c.id] = topic;
        }
      }
    });
    stores.vectors.store(space, rows);
  }
  return { collections, topicWords, topicVecs, topicOf };
}

/** Hybrid query latency at 100k chunks (all in scope, and one collection), and ingestion chunks/s. */
export async function benchKnowledge(): Promise<Record<string, string>> {
  const rows: Record<string, string> = {};
  const r = seededRandom(SEED);
  const s = await createTestServer();
  try {
    await claimAdmin(s);
    const userId = (s.db.sqlite.prepare('select id from users limit 1').get() as { id: string }).id;
    s.catalog.save({ label: 'bench' }, { name: 'nomic-embed-text', kind: 'embedding', contextLength: 2048, dimensions: DIMS, isDefault: true });
    const t0 = performance.now();
    const data = await fill(s, userId, r);
    rows['corpus'] =
      `${CHUNKS} chunks × ${DIMS} dims in ${COLLECTIONS} collections, layout ${JSON.stringify(knowledgeStores(s.db).vectors.active()!.layout)}; built in ${((performance.now() - t0) / 1000).toFixed(1)} s`;

    // Queries: three words of a topic some document has, and a vector near that topic; the embedder returns it at once.
    const used = [...new Set(data.topicOf.filter((t) => t !== undefined))];
    const queries = Array.from({ length: QUERIES }, () => {
      const topic = used[Math.floor(r() * used.length)]!;
      const text = Array.from({ length: 3 }, () => data.topicWords[topic]![Math.floor(r() * 40)]).join(' ');
      return { text, vector: Array.from(around(data.topicVecs[topic]!, 0.045, r)) };
    });
    let next: number[] = [];
    const k = s.knowledge;
    const stores = knowledgeStores(s.db);
    const retrieval = createRetrieval({
      collections: stores.collections,
      keyword: stores.keyword,
      vectors: stores.vectors,
      defaultTopK: 5,
      log: s.logs.log,
      embed: async () => [next],
    });
    const time = async (scope: number[] | undefined, methods?: { keyword: boolean; vector: boolean }) => {
      const times: number[] = [];
      for (const [i, q] of queries.entries()) {
        next = q.vector;
        const t = performance.now();
        const out = await retrieval.search({ userId, queries: [q.text], collectionIds: scope, methods });
        if (i >= 5) times.push(performance.now() - t); // the first few warm the cache
        if (out.hits.length === 0) throw new Error(`a benchmark query found nothing (${methods ? JSON.stringify(methods) : 'hybrid'}, notice ${out.notice})`);
      }
      return `${median(times).toFixed(2)} / ${percentile(times, 95).toFixed(2)} ms`;
    };
    rows[`hybrid query p50 / p95, all ${CHUNKS} chunks in scope`] = await time(undefined);
    rows['  of which vector only'] = await time(undefined, { keyword: false, vector: true });
    rows['  of which keyword only'] = await time(undefined, { keyword: true, vector: false });
    rows[`hybrid query p50 / p95, one collection (${CHUNKS / COLLECTIONS} chunks)`] = await time([data.collections[0]!]);

    // Ingestion: documents through the real worker (extract, chunk, embed in batches of 32, store).
    const coll = stores.collections.insert({
      name: 'ingest',
      scope: 'private',
      ownerId: userId,
      createdBy: userId,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const words = vocabulary(r, 3_000);
    const now = new Date();
    for (let d = 0; d < INGEST_DOCS; d++) {
      const text = Array.from({ length: 40 }, () => Array.from({ length: 90 }, () => words[Math.floor(r() * words.length)]).join(' ') + '.').join('\n\n');
      const doc = stores.documents.insert({
        collectionId: coll.id,
        title: `ingest ${d}`,
        filename: `ingest-${d}.txt`,
        status: 'queued',
        stage: 'queued',
        createdBy: userId,
        createdAt: now,
        updatedAt: now,
      });
      stores.documents.saveFile(doc.id, Buffer.from(text), 'text/plain');
      stores.queue.enqueueDocument(doc.id, now);
    }
    const worker = createIngestionWorker({
      documents: stores.documents,
      vectors: stores.vectors,
      queue: stores.queue,
      spaces: k.spaces,
      clock: Date.now,
      log: s.logs.log,
      concurrency: 2,
      batchSize: 32,
      chunking: { sizeTokens: 512, overlapTokens: 64 },
      extraction: EXTRACT_LIMITS,
      embed: async (_user, model, texts) => texts.map((t) => embedText(model, t, DIMS)),
    });
    const i0 = performance.now();
    worker.start();
    for (;;) {
      const left = stores.queue.counts();
      if (left.queued + left.running === 0 && worker.busy() === 0) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    await worker.stop();
    const seconds = (performance.now() - i0) / 1000;
    const made = stores.documents.inCollection(coll.id).reduce((n, d) => n + d.chunkCount, 0);
    const failed = stores.documents.inCollection(coll.id).filter((d) => d.status !== 'ready').length;
    if (failed > 0) throw new Error(`${failed} benchmark documents were not ingested`);
    rows['ingestion (fast in-process embedder)'] =
      `${INGEST_DOCS} documents, ${made} chunks in ${seconds.toFixed(1)} s: ${(made / seconds).toFixed(0)} chunks/s`;
  } finally {
    s.cleanup();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [key, value] of Object.entries(await benchKnowledge())) console.log(`${key}: ${value}`);
}
