import type { PageFetcher } from '../browser-client/browser-client.service.ts';
import type { Engine } from '../chat/engine.service.ts';
import type { Db } from '../db/client.ts';
import { isAppError } from '../kernel/errors.ts';
import { extractLimitsOf } from '../knowledge/extract/limits.ts';
import { createSpaceManager } from '../knowledge/ingestion/spaces.ts';
import { createIngestionWorker } from '../knowledge/ingestion/worker.ts';
import { createGrounding } from '../knowledge/grounding.service.ts';
import { createRetrieval } from '../knowledge/search.service.ts';
import { createKnowledgeService } from '../knowledge/collections.service.ts';
import { knowledgeStatus } from '../knowledge/status.service.ts';
import { createCollectionsStore } from '../knowledge/store/collections.store.ts';
import { createDocumentsStore } from '../knowledge/store/documents.store.ts';
import { createKeywordStore } from '../knowledge/store/keyword.store.ts';
import type { FeatureGate } from '../kernel/features.ts';
import { createQueueStore } from '../knowledge/store/queue.store.ts';
import { createVectorsStore } from '../knowledge/store/vectors.store.ts';
import type { ModelService } from '../models/models.service.ts';
import type { Base } from './assemble-models.ts';

/** Chunks per embedding request: large enough to amortise the round trip, small enough to retry cheaply. */
const EMBED_BATCH = 32;
/** Documents ingested at once; extraction and embedding run on other cores (miners) anyway. */
const INGEST_CONCURRENCY = 2;

/**
 * Wires the knowledge base: stores, the ingestion worker (started by
 * `serve`), hybrid retrieval with query embeddings through the engine (so
 * budgets and the ledger apply), and the service the routes call.
 */
export function buildKnowledge(
  { config, log, db, audit, clock }: Base & { db: Db },
  deps: { engine: Engine; catalog: ModelService; pages?: PageFetcher | undefined; features?: FeatureGate | undefined },
) {
  const { engine } = deps;
  const collections = createCollectionsStore(db.orm);
  const documents = createDocumentsStore(db.orm);
  const vectors = createVectorsStore(db.orm, db.sqlite);
  const queue = createQueueStore(db.orm);
  const keyword = createKeywordStore(db.sqlite);
  const klog = log.child({ module: 'knowledge' });
  const defaultEmbedder = () => {
    try {
      return deps.catalog.resolve(undefined, 'embedding');
    } catch (err) {
      if (isAppError(err)) return undefined;
      throw err;
    }
  };
  const spaces = createSpaceManager({ vectors, queue, defaultEmbedder, clock, log: klog });
  const worker = createIngestionWorker({
    documents,
    vectors,
    queue,
    spaces,
    pages: deps.pages,
    clock,
    log: klog,
    concurrency: INGEST_CONCURRENCY,
    batchSize: EMBED_BATCH,
    chunking: { sizeTokens: config.CHUNK_SIZE_TOKENS, overlapTokens: config.CHUNK_OVERLAP_TOKENS },
    extraction: extractLimitsOf(config),
    embed: async (userId, model, texts, signal) => (await engine.embed({ userId, source: 'ingest' }, model, texts, signal)).embeddings,
  });
  const retrieval = createRetrieval({
    collections,
    keyword,
    vectors,
    defaultTopK: config.VECTOR_TOP_K,
    log: klog,
    embed: async (userId, model, texts, signal) => (await engine.embed({ userId, source: 'embedding' }, model, texts, signal)).embeddings,
  });
  const service = createKnowledgeService({
    collections,
    documents,
    vectors,
    queue,
    worker,
    audit,
    clock,
    maxUploadBytes: config.MAX_UPLOAD_MB * 1024 * 1024,
    features: deps.features,
    orgCollectionsBy: config.ORG_COLLECTIONS_BY,
  });
  return {
    service,
    retrieval,
    grounding: createGrounding({ collections, documents, retrieval }),
    worker,
    spaces,
    status: () => knowledgeStatus({ documents, vectors, queue }),
  };
}

/** The knowledge base as the root holds it. */
export type Knowledge = ReturnType<typeof buildKnowledge>;
