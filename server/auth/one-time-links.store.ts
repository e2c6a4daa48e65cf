import { and, eq, isNull } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { oneTimeTokens } from '../db/schema/index.ts';
import type { OneTimeToken } from './identity.types.ts';

/** One-time tokens: the only code touching that table. */
export function createTokensStore(orm: Orm) {
  return {
    insert: (t: typeof oneTimeTokens.$inferInsert): OneTimeToken => orm.insert(oneTimeTokens).values(t).returning().get(),
    byHash: (hash: string): OneTimeToken | undefined => orm.select().from(oneTimeTokens).where(eq(oneTimeTokens.tokenHash, hash)).get(),
    /** Marks a token used; false when it was already used (a concurrent use lost). */
    consume: (id: string, at: Date): boolean =>
      orm
        .update(oneTimeTokens)
        .set({ usedAt: at })
        .where(and(eq(oneTimeTokens.id, id), isNull(oneTimeTokens.usedAt)))
        .run().changes === 1,
    /** Voids a user's unused tokens of a kind (a new reset link replaces the old). */
    voidForUser: (userId: string, kind: OneTimeToken['kind'], at: Date): void => {
      orm
        .update(oneTimeTokens)
        .set({ usedAt: at })
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.kind, kind), isNull(oneTimeTokens.usedAt)))
        .run();
    },
  };
}

/** The one-time tokens store. */
export type TokensStore = ReturnType<typeof createTokensStore>;
