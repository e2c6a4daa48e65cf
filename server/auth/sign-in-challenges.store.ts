import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { signInChallenges } from '../db/schema/index.ts';
import type { SignInChallenge } from './mfa.types.ts';

/** Sign-in challenges: the only code touching that table. */
export function createChallengesStore(orm: Orm) {
  return {
    insert: (row: typeof signInChallenges.$inferInsert): SignInChallenge => orm.insert(signInChallenges).values(row).returning().get(),
    byTokenHash: (hash: string): SignInChallenge | undefined => orm.select().from(signInChallenges).where(eq(signInChallenges.tokenHash, hash)).get(),
    /** Counts one more code tried against a challenge. */
    countAttempt: (id: string): void => {
      orm
        .update(signInChallenges)
        .set({ attempts: sql`${signInChallenges.attempts} + 1` })
        .where(eq(signInChallenges.id, id))
        .run();
    },
    /** Marks a challenge used; false when it already was (a concurrent use won). */
    use: (id: string, at: Date): boolean =>
      orm
        .update(signInChallenges)
        .set({ usedAt: at })
        .where(and(eq(signInChallenges.id, id), isNull(signInChallenges.usedAt)))
        .run().changes === 1,
    /** Deletes challenges that expired before `before`. */
    prune: (before: Date): void => {
      orm.delete(signInChallenges).where(lt(signInChallenges.expiresAt, before)).run();
    },
    /** Runs `fn` in one immediate (write-locking) transaction. */
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The sign-in challenges store. */
export type ChallengesStore = ReturnType<typeof createChallengesStore>;
