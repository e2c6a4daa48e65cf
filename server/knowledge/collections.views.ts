import type { SearchHit } from './search.service.ts';
import type { Collection, CollectionSummary, DocumentRow, IngestionJob } from './knowledge.types.ts';

/*
 * Collections, documents and search hits as the API returns them and the
 * pages render them: built here only, from the service's rows.
 */

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

/** A collection as the API and pages show it. */
export type CollectionView = ReturnType<typeof publicCollection>;
/** A document as the API and pages show it (knowledge.js builds the same rows from it). */
export type DocumentView = ReturnType<typeof publicDocument>;
/** A search result as the API and pages show it. */
export type HitView = ReturnType<typeof publicHit>;
