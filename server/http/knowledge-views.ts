import type { SearchHit } from '../knowledge/retrieval/service.ts';
import type { Collection, CollectionSummary } from '../knowledge/store/collections.ts';
import type { DocumentRow } from '../knowledge/store/documents.ts';
import type { IngestionJob } from '../knowledge/store/queue.ts';

/** A collection as the API shows it. */
export function publicCollection(c: Collection | CollectionSummary) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    scope: c.scope,
    ownerId: c.ownerId,
    ...('documents' in c ? { documents: c.documents, ready: c.ready } : {}),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** A document and its ingestion progress as the API shows it. */
export function publicDocument(d: DocumentRow, job?: IngestionJob | undefined) {
  return {
    id: d.id,
    collectionId: d.collectionId,
    title: d.title,
    filename: d.filename,
    sourceUrl: d.sourceUrl,
    format: d.format,
    sizeBytes: d.sizeBytes,
    status: d.status,
    stage: d.stage,
    error: d.error,
    chunks: d.chunkCount,
    embeddedChunks: d.embeddedChunks,
    tokens: d.tokenCount,
    attempts: job?.attempts ?? 0,
    nextTryAt: job?.state === 'queued' && d.status !== 'queued' ? job.runAfter.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** A search result as the API shows it. */
export function publicHit(h: SearchHit) {
  return {
    chunkId: h.id,
    documentId: h.documentId,
    collectionId: h.collectionId,
    title: h.title,
    chunk: h.seq,
    startChar: h.startChar,
    endChar: h.endChar,
    text: h.text,
    score: h.score,
    keywordRank: h.keywordRank ?? null,
    vectorRank: h.vectorRank ?? null,
  };
}
