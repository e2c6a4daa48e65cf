import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { apiKeys } from '../db/schema/index.ts';
import type { ApiKey } from './identity.types.ts';

/** API keys: the only code touching that table. */
export function createKeysStore(orm: Orm) {
  // Every API request looks its key up: compiled once, not on each call.
  const byPrefix = orm
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.prefix, sql.placeholder('prefix')))
    .prepare();
  return {
    insert: (k: typeof apiKeys.$inferInsert): ApiKey => orm.insert(apiKeys).values(k).returning().get(),
    byPrefix: (prefix: string): ApiKey | undefined => byPrefix.get({ prefix }),
    forUser: (userId: string): ApiKey[] => orm.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt)).all(),
    touch: (id: string, at: Date): void => {
      orm.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    revoke: (id: string, userId: string, at: Date): ApiKey | undefined =>
      orm
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .returning()
        .get(),
    /** Revokes every active key of a user; returns how many. */
    revokeAllForUser: (userId: string, at: Date): number =>
      orm
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .run().changes,
  };
}

/** The API keys store. */
export type KeysStore = ReturnType<typeof createKeysStore>;
