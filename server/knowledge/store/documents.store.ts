import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Orm } from '../../db/client.ts';
import { chunks, documentFiles, documents, documentTexts } from '../../db/schema/index.ts';
import type { ChunkRow, DocumentRow, NewChunk } from '../knowledge.types.ts';

/** Documents, their files, texts and chunks: the only code touching those tables. */
export function createDocumentsStore(orm: Orm) {
  return {
    insert: (row: typeof documents.$inferInsert): DocumentRow => orm.insert(documents).values(row).returning().get(),
    get: (id: number): DocumentRow | undefined => orm.select().from(documents).where(eq(documents.id, id)).get(),
    inCollection: (collectionId: number): DocumentRow[] =>
      orm.select().from(documents).where(eq(documents.collectionId, collectionId)).orderBy(desc(documents.createdAt), desc(documents.id)).all(),
    bySha: (collectionId: number, sha256: string): DocumentRow | undefined =>
      orm
        .select()
        .from(documents)
        .where(and(eq(documents.collectionId, collectionId), eq(documents.sha256, sha256)))
        .get(),
    update: (id: number, set: Partial<typeof documents.$inferInsert>): void => {
      orm.update(documents).set(set).where(eq(documents.id, id)).run();
    },
    remove: (id: number): boolean => orm.delete(documents).where(eq(documents.id, id)).run().changes > 0,
    all: (): DocumentRow[] => orm.select().from(documents).all(),

    saveFile: (documentId: number, bytes: Buffer, declaredType: string | null): void => {
      orm.insert(documentFiles).values({ documentId, bytes, declaredType }).run();
    },
    file: (documentId: number) => orm.select().from(documentFiles).where(eq(documentFiles.documentId, documentId)).get(),
    dropFile: (documentId: number): void => {
      orm.delete(documentFiles).where(eq(documentFiles.documentId, documentId)).run();
    },
    saveText: (documentId: number, text: string): void => {
      orm.insert(documentTexts).values({ documentId, text }).onConflictDoUpdate({ target: documentTexts.documentId, set: { text } }).run();
    },
    text: (documentId: number): string | undefined => orm.select().from(documentTexts).where(eq(documentTexts.documentId, documentId)).get()?.text,

    /** Replaces a document's chunks (a redo after a crash starts clean, never doubles). */
    replaceChunks: (documentId: number, rows: NewChunk[]): void => {
      orm.delete(chunks).where(eq(chunks.documentId, documentId)).run();
      for (const row of rows) orm.insert(chunks).values(row).run();
    },
    chunks: (documentId: number): ChunkRow[] => orm.select().from(chunks).where(eq(chunks.documentId, documentId)).orderBy(asc(chunks.seq)).all(),
    chunkIds: (documentId: number): number[] =>
      orm
        .select({ id: chunks.id })
        .from(chunks)
        .where(eq(chunks.documentId, documentId))
        .all()
        .map((r) => r.id),
    chunkIdsOfCollection: (collectionId: number): number[] =>
      orm
        .select({ id: chunks.id })
        .from(chunks)
        .where(eq(chunks.collectionId, collectionId))
        .all()
        .map((r) => r.id),
    /** Sets every document's embedded count to its vectors in `spaceId` (after a space replaced another). */
    recountEmbedded: (spaceId: number): void => {
      orm
        .update(documents)
        .set({
          embeddedChunks: sql`(select count(*) from chunk_vectors v join chunks c on c.id = v.chunk_id where v.space_id = ${spaceId} and c.document_id = ${documents.id})`,
        })
        .run();
    },
    chunkCount: (): number =>
      orm
        .select({ n: sql<number>`count(*)` })
        .from(chunks)
        .get()?.n ?? 0,
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The documents store. */
export type DocumentsStore = ReturnType<typeof createDocumentsStore>;
