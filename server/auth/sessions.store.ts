import { and, desc, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { sessions } from '../db/schema/index.ts';
import type { Session } from './identity.types.ts';

/** Sessions: the only code touching that table. */
export function createSessionsStore(orm: Orm) {
  return {
    insert: (s: typeof sessions.$inferInsert): Session => orm.insert(sessions).values(s).returning().get(),
    byTokenHash: (hash: string): Session | undefined => orm.select().from(sessions).where(eq(sessions.tokenHash, hash)).get(),
    touch: (id: string, at: Date): void => {
      orm.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id)).run();
    },
    activeForUser: (userId: string, now: Date): Session[] =>
      orm
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(desc(sessions.lastSeenAt))
        .all(),
    revoke: (id: string, userId: string, at: Date): boolean =>
      orm
        .update(sessions)
        .set({ revokedAt: at })
        .where(and(eq(sessions.id, id), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .run().changes > 0,
    /** Revokes every live session of a user, except `keepId` when given; returns how many. */
    revokeAllForUser: (userId: string, at: Date, keepId?: string): number =>
      orm
        .update(sessions)
        .set({ revokedAt: at })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keepId ? ne(sessions.id, keepId) : undefined))
        .run().changes,
  };
}

/** The sessions store. */
export type SessionsStore = ReturnType<typeof createSessionsStore>;
