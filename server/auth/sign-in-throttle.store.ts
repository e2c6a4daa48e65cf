import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { loginThrottle } from '../db/schema/index.ts';

/** A throttle counter row: failures since `windowStart`, and when the next attempt may come. */
export type ThrottleRow = typeof loginThrottle.$inferSelect;

// Keys starting with a prefix, without LIKE, so `%` and `_` in emails are plain characters.
const startsWith = (prefix: string) => sql`substr(${loginThrottle.key}, 1, ${prefix.length}) = ${prefix}`;

/** Sign-in failure counters: the only code touching that table. */
export function createThrottleStore(orm: Orm) {
  return {
    get: (key: string): ThrottleRow | undefined => orm.select().from(loginThrottle).where(eq(loginThrottle.key, key)).get(),
    put: (row: ThrottleRow): void => {
      orm
        .insert(loginThrottle)
        .values(row)
        .onConflictDoUpdate({ target: loginThrottle.key, set: { failures: row.failures, windowStart: row.windowStart, lockedUntil: row.lockedUntil } })
        .run();
    },
    clear: (key: string): void => {
      orm.delete(loginThrottle).where(eq(loginThrottle.key, key)).run();
    },
    /** Deletes every counter whose key starts with `prefix`. */
    clearPrefix: (prefix: string): void => {
      orm.delete(loginThrottle).where(startsWith(prefix)).run();
    },
    /** Deletes the counters under `prefix` that started before `before` and hold back nothing any more. */
    prune: (prefix: string, before: Date, now: Date): void => {
      orm
        .delete(loginThrottle)
        .where(
          and(startsWith(prefix), lt(loginThrottle.windowStart, before), or(sql`${loginThrottle.lockedUntil} IS NULL`, lt(loginThrottle.lockedUntil, now))),
        )
        .run();
    },
    /** Runs `fn` in one immediate (write-locking) transaction, so processes sharing the file count together. */
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The throttle store. */
export type ThrottleStore = ReturnType<typeof createThrottleStore>;
