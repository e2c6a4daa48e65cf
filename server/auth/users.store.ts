import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { setupClaim, users } from '../db/schema/index.ts';
import type { NewUser, SetupClaim, User } from './identity.types.ts';

/** Users and the setup claim: the only code touching those tables. */
export function createUsersStore(orm: Orm) {
  // Run on every authenticated request (and the active count on every write, for the license):
  // compiled once, not on each call.
  const byId = orm
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare();
  const countActive = orm.select({ n: count() }).from(users).where(eq(users.status, 'active')).prepare();
  return {
    byId: (id: string): User | undefined => byId.get({ id }),
    byEmail: (email: string): User | undefined => orm.select().from(users).where(eq(users.email, email.toLowerCase())).get(),
    list: (): User[] => orm.select().from(users).orderBy(asc(users.email)).all(),
    insert: (user: NewUser): User =>
      orm
        .insert(users)
        .values({ ...user, email: user.email.toLowerCase() })
        .returning()
        .get(),
    update: (id: string, patch: Partial<Omit<NewUser, 'id'>>): User | undefined =>
      orm
        .update(users)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning()
        .get(),
    countActiveAdmins: (exceptId?: string): number =>
      orm
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.status, 'active'), exceptId ? ne(users.id, exceptId) : undefined))
        .get()!.n,
    countActive: (): number => countActive.get()!.n,
    claim: (): SetupClaim | undefined => orm.select().from(setupClaim).get(),
    insertClaim: (claim: Omit<SetupClaim, 'id'>): void => {
      orm
        .insert(setupClaim)
        .values({ id: 1, ...claim })
        .run();
    },
    /** Runs `fn` in one immediate (write-locking) transaction. */
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The users store. */
export type UsersStore = ReturnType<typeof createUsersStore>;
