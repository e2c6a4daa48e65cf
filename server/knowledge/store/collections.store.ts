import { and, asc, eq, or, sql } from 'drizzle-orm';
import type { Orm } from '../../db/client.ts';
import { collectionShares, collections, documents, EVERYONE_GROUP_ID, groupMembers, users } from '../../db/schema/index.ts';
import type { Collection, CollectionSummary } from '../knowledge.types.ts';

// The groups a user is in, as SQL: Everyone and their memberships (group_members is read at
// every query, so a removed member loses access at their next request).
const groupsOf = (userId: string) => sql`(select ${EVERYONE_GROUP_ID} union all select gm.group_id from ${groupMembers} gm where gm.user_id = ${userId})`;
// Spelled out: inside a subquery drizzle writes ${collections.id} as a bare "id".
const sharedWith = (userId: string, access: 'read' | 'write') =>
  sql`exists (select 1 from ${collectionShares} cs where cs.collection_id = "collections"."id"${access === 'write' ? sql` and cs.access = 'write'` : sql``} and cs.group_id in ${groupsOf(userId)})`;

// Who may read a collection, as SQL: org-wide ones, the private ones the user owns, and the ones shared with a group of theirs.
const readableBy = (userId: string) => or(eq(collections.scope, 'shared'), eq(collections.ownerId, userId), sharedWith(userId, 'read'));

/** Collections: the only code touching their table. Every read takes the caller, so no query forgets permissions. */
export function createCollectionsStore(orm: Orm) {
  // Spelled out: inside a subquery drizzle writes ${collections.id} as a bare "id", which would bind to the document's id.
  const counts = {
    documents: sql<number>`(select count(*) from ${documents} d where d.collection_id = "collections"."id")`,
    ready: sql<number>`(select count(*) from ${documents} d where d.collection_id = "collections"."id" and d.status = 'ready')`,
  };
  return {
    insert: (row: typeof collections.$inferInsert): Collection => orm.insert(collections).values(row).returning().get(),
    /** The collections `userId` may read, shared ones first. */
    readable: (userId: string): CollectionSummary[] =>
      orm
        .select({ ...collectionsColumns(), ...counts })
        .from(collections)
        .where(readableBy(userId))
        .orderBy(asc(collections.scope), asc(collections.name))
        .all(),
    /** One collection if `userId` may read it. */
    readableOne: (userId: string, id: number): Collection | undefined =>
      orm
        .select()
        .from(collections)
        .where(and(eq(collections.id, id), readableBy(userId)))
        .get(),
    /** Of these ids, the ones `userId` may read. */
    readableIds: (userId: string, ids: readonly number[]): number[] =>
      ids.length === 0
        ? []
        : orm
            .select({ id: collections.id })
            .from(collections)
            .where(and(sql`${collections.id} in (select value from json_each(${JSON.stringify(ids)}))`, readableBy(userId)))
            .all()
            .map((r) => r.id),
    /** Every collection id `userId` may read. */
    allReadableIds: (userId: string): number[] =>
      orm
        .select({ id: collections.id })
        .from(collections)
        .where(readableBy(userId))
        .all()
        .map((r) => r.id),
    /** Whether a group share lets `userId` write to the collection (add and remove documents, rename). */
    groupWritable: (userId: string, id: number): boolean =>
      orm
        .select({ id: collections.id })
        .from(collections)
        .where(and(eq(collections.id, id), sharedWith(userId, 'write')))
        .get() !== undefined,
    /** The group share through which `userId` reads a collection, if any. */
    shareVia: (userId: string, id: number): string | undefined =>
      orm
        .select({ groupId: collectionShares.groupId })
        .from(collectionShares)
        .where(and(eq(collectionShares.collectionId, id), sql`${collectionShares.groupId} in ${groupsOf(userId)}`))
        .orderBy(asc(collectionShares.groupId))
        .get()?.groupId,
    /** Every active user (for "who may read this collection?"). */
    activeUsers: (): Array<{ id: string; email: string }> =>
      orm.select({ id: users.id, email: users.email }).from(users).where(eq(users.status, 'active')).orderBy(asc(users.email)).all(),
    /** The groups a collection is shared with. */
    shares: (id: number): Array<{ groupId: string; access: 'read' | 'write' }> =>
      orm
        .select({ groupId: collectionShares.groupId, access: collectionShares.access })
        .from(collectionShares)
        .where(eq(collectionShares.collectionId, id))
        .orderBy(asc(collectionShares.groupId))
        .all(),
    /** Replaces the groups a collection is shared with, in one transaction. */
    setShares(id: number, shares: ReadonlyArray<{ groupId: string; access: 'read' | 'write' }>, at: Date): void {
      orm.transaction(() => {
        orm.delete(collectionShares).where(eq(collectionShares.collectionId, id)).run();
        if (shares.length > 0)
          orm
            .insert(collectionShares)
            .values(shares.map((x) => ({ collectionId: id, ...x, addedAt: at })))
            .run();
      });
    },
    update: (id: number, set: Partial<typeof collections.$inferInsert>): void => {
      orm.update(collections).set(set).where(eq(collections.id, id)).run();
    },
    remove: (id: number): boolean => orm.delete(collections).where(eq(collections.id, id)).run().changes > 0,
    /** Every collection id (for re-embedding and maintenance). */
    count: (): number =>
      orm
        .select({ n: sql<number>`count(*)` })
        .from(collections)
        .get()?.n ?? 0,
  };
}

function collectionsColumns() {
  return {
    id: collections.id,
    name: collections.name,
    description: collections.description,
    scope: collections.scope,
    ownerId: collections.ownerId,
    createdBy: collections.createdBy,
    createdAt: collections.createdAt,
    updatedAt: collections.updatedAt,
  };
}

/** The collections store. */
export type CollectionsStore = ReturnType<typeof createCollectionsStore>;
