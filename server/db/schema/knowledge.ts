import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { groups } from './groups.ts';
import { users } from './identity.ts';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/**
 * Collections of documents: `private` to their owner, or `shared` by an
 * admin with every user. Integer ids because they are the partition key of
 * the vector tables (sqlite-vec partitions on integers).
 */
export const collections = sqliteTable(
  'collections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    scope: text('scope', { enum: ['private', 'shared'] }).notNull(),
    /** The owner of a private collection; null for shared ones. */
    ownerId: text('owner_id').references(() => users.id, { onDelete: 'cascade' }),
    createdBy: text('created_by'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    check('collections_scope', sql`${t.scope} IN ('private', 'shared')`),
    check('collections_owner', sql`(${t.scope} = 'private') = (${t.ownerId} IS NOT NULL)`),
    index('collections_owner_idx').on(t.ownerId),
  ],
);

/**
 * Documents and where their ingestion stands. `status` moves queued →
 * processing → ready, or to failed with `error`; `embeddedChunks` of
 * `chunkCount` is the progress the UI shows. The same bytes twice in one
 * collection are refused (`sha256`), so a retried upload never doubles.
 */
export const documents = sqliteTable(
  'documents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    collectionId: integer('collection_id')
      .notNull()
      .references(() => collections.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** Upload's file name, or null for a URL import. */
    filename: text('filename'),
    /** Imported page, or null for an upload. */
    sourceUrl: text('source_url'),
    format: text('format'),
    sizeBytes: integer('size_bytes').notNull().default(0),
    sha256: text('sha256'),
    status: text('status', { enum: ['queued', 'processing', 'ready', 'failed'] }).notNull(),
    /** What the ingestion is doing now (extract, chunk, embed) or did last. */
    stage: text('stage').notNull().default('queued'),
    error: text('error'),
    chunkCount: integer('chunk_count').notNull().default(0),
    embeddedChunks: integer('embedded_chunks').notNull().default(0),
    tokenCount: integer('token_count').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    check('documents_status', sql`${t.status} IN ('queued', 'processing', 'ready', 'failed')`),
    index('documents_collection').on(t.collectionId, t.createdAt),
    uniqueIndex('documents_content').on(t.collectionId, t.sha256),
  ],
);

/** An upload's bytes, kept only until its text has been extracted. */
export const documentFiles = sqliteTable('document_files', {
  documentId: integer('document_id')
    .primaryKey()
    .references(() => documents.id, { onDelete: 'cascade' }),
  bytes: blob('bytes', { mode: 'buffer' }).notNull(),
  declaredType: text('declared_type'),
});

/** The extracted text of a document: chunked once, and given whole in whole-document mode. */
export const documentTexts = sqliteTable('document_texts', {
  documentId: integer('document_id')
    .primaryKey()
    .references(() => documents.id, { onDelete: 'cascade' }),
  text: text('text').notNull(),
});

/**
 * Chunks of a document, in order. `(document_id, seq)` is unique, so a
 * chunking step that runs twice (after a crash) cannot double them; the
 * FTS5 index `chunks_fts` follows this table through triggers (0005).
 */
export const chunks = sqliteTable(
  'chunks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    documentId: integer('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    /** Denormalised from the document so permission filters need no join. */
    collectionId: integer('collection_id').notNull(),
    seq: integer('seq').notNull(),
    text: text('text').notNull(),
    startChar: integer('start_char').notNull(),
    endChar: integer('end_char').notNull(),
    tokens: integer('tokens').notNull(),
  },
  (t) => [uniqueIndex('chunks_document_seq').on(t.documentId, t.seq), index('chunks_collection').on(t.collectionId)],
);

/**
 * One vector index per embedding model and dimension (a `vec0` table set
 * named `kb_space_<id>`). The `active` space answers queries; after the
 * default embedding model changes a `building` one is filled in the
 * background and replaces it, and the old one is `retired` and dropped.
 */
export const vectorSpaces = sqliteTable(
  'vector_spaces',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    model: text('model').notNull(),
    dimensions: integer('dimensions').notNull(),
    /** The sqlite-vec layout the tables were created with (JSON). */
    layout: text('layout', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    state: text('state', { enum: ['building', 'active', 'retired'] }).notNull(),
    createdAt: ms('created_at').notNull(),
    activatedAt: ms('activated_at'),
  },
  (t) => [
    check('vector_spaces_state', sql`${t.state} IN ('building', 'active', 'retired')`),
    // At most one active and one building space.
    uniqueIndex('vector_spaces_one_per_state')
      .on(t.state)
      .where(sql`${t.state} IN ('active', 'building')`),
  ],
);

/**
 * Which chunks have a vector in which space, written in the same
 * transaction as the vectors: embedding resumes exactly where it stopped.
 */
export const chunkVectors = sqliteTable(
  'chunk_vectors',
  {
    spaceId: integer('space_id')
      .notNull()
      .references(() => vectorSpaces.id, { onDelete: 'cascade' }),
    chunkId: integer('chunk_id')
      .notNull()
      .references(() => chunks.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.chunkId] }), index('chunk_vectors_chunk').on(t.chunkId)],
);

/**
 * The persistent ingestion queue. `ingest` jobs take one document through
 * extract → chunk → embed; an `embed` job fills a building space. A job
 * left `running` by a stopped process is queued again at start; failures
 * retry with backoff (`runAfter`) and keep the reason in `error`.
 */
export const ingestionJobs = sqliteTable(
  'ingestion_jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['ingest', 'embed'] }).notNull(),
    documentId: integer('document_id').references(() => documents.id, { onDelete: 'cascade' }),
    spaceId: integer('space_id').references(() => vectorSpaces.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['queued', 'running', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    runAfter: ms('run_after').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    check('ingestion_jobs_kind', sql`${t.kind} IN ('ingest', 'embed')`),
    check('ingestion_jobs_state', sql`${t.state} IN ('queued', 'running', 'failed')`),
    index('ingestion_jobs_due').on(t.state, t.runAfter),
    // One job per document and per space: enqueueing twice cannot ingest twice.
    uniqueIndex('ingestion_jobs_document')
      .on(t.documentId)
      .where(sql`${t.documentId} IS NOT NULL`),
    uniqueIndex('ingestion_jobs_space')
      .on(t.spaceId)
      .where(sql`${t.spaceId} IS NOT NULL`),
  ],
);

/**
 * Collections shared with groups, read-only or read-write, besides private
 * and org-wide. Every read of a collection checks these rows in its SQL.
 */
export const collectionShares = sqliteTable(
  'collection_shares',
  {
    collectionId: integer('collection_id')
      .notNull()
      .references(() => collections.id, { onDelete: 'cascade' }),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    access: text('access', { enum: ['read', 'write'] }).notNull(),
    addedAt: ms('added_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.collectionId, t.groupId] }),
    index('collection_shares_group').on(t.groupId),
    check('collection_shares_access', sql`${t.access} IN ('read', 'write')`),
  ],
);
