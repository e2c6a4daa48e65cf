import { eq } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { loginThrottle } from '../db/schema/index.ts';

/** A throttle counter row. */
export type ThrottleRow = typeof loginThrottle.$inferSelect;

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
  };
}

/** The throttle store. */
export type ThrottleStore = ReturnType<typeof createThrottleStore>;
