import type { chunks, collections, documents, ingestionJobs, vectorSpaces } from '../db/schema/index.ts';

/** A collection row. */
export type Collection = typeof collections.$inferSelect;

/** A collection with its document counts, as lists show it. */
export interface CollectionSummary extends Collection {
  documents: number;
  ready: number;
}

/** A document row. */
export type DocumentRow = typeof documents.$inferSelect;

/** A chunk row. */
export type ChunkRow = typeof chunks.$inferSelect;

/** A chunk to store. */
export type NewChunk = Omit<typeof chunks.$inferInsert, 'id'>;

/** An ingestion job row. */
export type IngestionJob = typeof ingestionJobs.$inferSelect;

/** A vector space row: one embedding model and dimension, and its vec0 tables. */
export type VectorSpace = typeof vectorSpaces.$inferSelect;
