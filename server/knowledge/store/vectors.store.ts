import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Orm, Sqlite } from '../../db/client.ts';
import { chunks, chunkVectors, vectorSpaces } from '../../db/schema/index.ts';
import { CHOSEN_LAYOUT, openVectorIndex, type IvfSpec, type VectorIndex } from './vector-index/vector-index.ts';
import type { VectorSpace } from '../knowledge.types.ts';

/** A chunk waiting for its vector in a space. */
export interface PendingChunk {
  id: number;
  collectionId: number;
  documentId: number;
  text: string;
}

/** The layout of a space's tables, from what was stored when it was made. */
export function spaceLayout(space: VectorSpace): IvfSpec {
  const stored = space.layout as unknown as Omit<IvfSpec, 'dims' | 'prefix'>;
  return { ...stored, dims: space.dimensions, prefix: `kb_space_${space.id}`, partitioned: true };
}

/**
 * Vector spaces and the vectors in them: the only code touching the
 * `vector_spaces` and `chunk_vectors` tables and the spaces' vec0 tables.
 * Vectors and their `chunk_vectors` rows are always written and removed
 * together, in one transaction.
 */
export function createVectorsStore(orm: Orm, sqlite: Sqlite) {
  const index = (space: VectorSpace): VectorIndex => openVectorIndex(sqlite, spaceLayout(space));
  const tx = <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' });
  const byState = (state: VectorSpace['state']) => orm.select().from(vectorSpaces).where(eq(vectorSpaces.state, state)).get();
  return {
    active: (): VectorSpace | undefined => byState('active'),
    building: (): VectorSpace | undefined => byState('building'),
    get: (id: number): VectorSpace | undefined => orm.select().from(vectorSpaces).where(eq(vectorSpaces.id, id)).get(),
    /** Spaces whose tables exist: active, building, and retired ones not yet dropped. */
    live: (): VectorSpace[] => orm.select().from(vectorSpaces).all(),

    /** Creates a space and its tables in one transaction, with `then` (queueing its fill job) inside it. */
    create(model: string, dimensions: number, state: 'active' | 'building', at: Date, then?: (space: VectorSpace) => void): VectorSpace {
      return tx(() => {
        const space = orm
          .insert(vectorSpaces)
          .values({ model, dimensions, layout: { ...CHOSEN_LAYOUT }, state, createdAt: at, activatedAt: state === 'active' ? at : null })
          .returning()
          .get();
        index(space).create();
        then?.(space);
        return space;
      });
    },
    /**
     * Makes a building space the active one and retires the old one,
     * atomically; false (and no change) when the space is no longer building.
     */
    promote(id: number, at: Date): boolean {
      return tx(() => {
        const still = orm
          .select({ id: vectorSpaces.id })
          .from(vectorSpaces)
          .where(and(eq(vectorSpaces.id, id), eq(vectorSpaces.state, 'building')))
          .get();
        if (!still) return false;
        orm.update(vectorSpaces).set({ state: 'retired' }).where(eq(vectorSpaces.state, 'active')).run();
        orm.update(vectorSpaces).set({ state: 'active', activatedAt: at }).where(eq(vectorSpaces.id, id)).run();
        return true;
      });
    },
    /** Drops every retired space (after a promotion, and at start in case a crash came between). */
    dropRetired(): void {
      for (const space of orm.select().from(vectorSpaces).where(eq(vectorSpaces.state, 'retired')).all()) this.drop(space.id);
    },
    /** Drops a space's tables and rows (a retired space, or a building one given up). */
    drop(id: number): void {
      const space = orm.select().from(vectorSpaces).where(eq(vectorSpaces.id, id)).get();
      if (!space) return;
      tx(() => {
        index(space).drop();
        orm.delete(vectorSpaces).where(eq(vectorSpaces.id, id)).run();
      });
    },

    /** Chunks with no vector in the space yet, oldest first; optionally of one document. */
    pending(spaceId: number, limit: number, documentId?: number): PendingChunk[] {
      const missing = sql`not exists (select 1 from ${chunkVectors} v where v.space_id = ${spaceId} and v.chunk_id = ${chunks.id})`;
      return orm
        .select({ id: chunks.id, collectionId: chunks.collectionId, documentId: chunks.documentId, text: chunks.text })
        .from(chunks)
        .where(documentId === undefined ? missing : and(eq(chunks.documentId, documentId), missing))
        .orderBy(chunks.id)
        .limit(limit)
        .all();
    },
    /** Vectors one document has in the space. */
    embeddedOf: (spaceId: number, documentId: number): number =>
      orm
        .select({ n: sql<number>`count(*)` })
        .from(chunkVectors)
        .innerJoin(chunks, eq(chunks.id, chunkVectors.chunkId))
        .where(and(eq(chunkVectors.spaceId, spaceId), eq(chunks.documentId, documentId)))
        .get()?.n ?? 0,
    /** Vectors stored in the space. */
    embedded: (spaceId: number): number =>
      orm
        .select({ n: sql<number>`count(*)` })
        .from(chunkVectors)
        .where(eq(chunkVectors.spaceId, spaceId))
        .get()?.n ?? 0,

    /**
     * Stores vectors for chunks, in one transaction with their bookkeeping.
     * Chunks deleted meanwhile (their document was removed while it was
     * being embedded) and chunks that already have a vector are skipped, so
     * a batch repeated after a crash stores nothing twice. Returns how many
     * were stored.
     */
    store(space: VectorSpace, rows: Array<{ chunkId: number; collectionId: number; vector: Float32Array }>): number {
      const vectors = index(space);
      return tx(() => {
        const ids = rows.map((r) => r.chunkId);
        const alive = new Set(
          orm
            .select({ id: chunks.id })
            .from(chunks)
            .where(inArray(chunks.id, ids))
            .all()
            .map((r) => r.id),
        );
        const done = new Set(
          orm
            .select({ id: chunkVectors.chunkId })
            .from(chunkVectors)
            .where(and(eq(chunkVectors.spaceId, space.id), inArray(chunkVectors.chunkId, ids)))
            .all()
            .map((r) => r.id),
        );
        const fresh = rows.filter((r) => alive.has(r.chunkId) && !done.has(r.chunkId));
        if (fresh.length === 0) return 0;
        vectors.insert(fresh.map((r) => ({ rowid: r.chunkId, vector: r.vector, partition: r.collectionId })));
        for (const r of fresh) orm.insert(chunkVectors).values({ spaceId: space.id, chunkId: r.chunkId }).run();
        return fresh.length;
      });
    },

    /**
     * Removes the vectors of these chunks from every space. Call it in the
     * same transaction that deletes the chunks (vec0 rows have no foreign key).
     */
    forget(chunkIds: readonly number[]): void {
      if (chunkIds.length === 0) return;
      const indexes = orm
        .select()
        .from(vectorSpaces)
        .all()
        .map((space) => index(space));
      // In slices: SQLite limits the variables of one statement.
      for (let i = 0; i < chunkIds.length; i += 500) {
        const slice = chunkIds.slice(i, i + 500);
        for (const vectors of indexes) vectors.delete(slice);
        orm.delete(chunkVectors).where(inArray(chunkVectors.chunkId, slice)).run();
      }
    },

    /** The `k` chunks nearest to `query` among these collections (the filter runs inside the vector query). */
    nearest(space: VectorSpace, query: Float32Array, k: number, collectionIds: readonly number[]): number[] {
      if (collectionIds.length === 0) return [];
      return index(space).knn(query, k, { partitions: collectionIds });
    },
    /** A space's index training: cells, rows when trained, and whether it has grown out of it. */
    training(space: VectorSpace) {
      const vectors = index(space);
      return { ...vectors.training(), stale: vectors.needsRetrain() };
    },
    /** Retrains a space's index for the rows it holds now (holds the write lock meanwhile); returns its cells. */
    retrain: (space: VectorSpace): number => index(space).retrain(),
    /** Rows in a space's vector tables (for checks that nothing is left behind). */
    vectorCount: (space: VectorSpace): number => index(space).count(),
  };
}

/** The vectors store. */
export type VectorsStore = ReturnType<typeof createVectorsStore>;
