import { and, asc, eq } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { userIdentities } from '../db/schema/index.ts';
import type { NewUserIdentity, UserIdentity } from './identity.types.ts';

/** Directory identities linked to accounts: the only code touching `user_identities`. */
export function createIdentitiesStore(orm: Orm) {
  return {
    find: (provider: UserIdentity['provider'], issuer: string, subject: string): UserIdentity | undefined =>
      orm
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.provider, provider), eq(userIdentities.issuer, issuer), eq(userIdentities.subject, subject)))
        .get(),
    byId: (id: string): UserIdentity | undefined => orm.select().from(userIdentities).where(eq(userIdentities.id, id)).get(),
    forUser: (userId: string): UserIdentity[] => orm.select().from(userIdentities).where(eq(userIdentities.userId, userId)).all(),
    /** Every identity of one provider and issuer (the accounts a directory sync checks). */
    ofIssuer: (provider: UserIdentity['provider'], issuer: string): UserIdentity[] =>
      orm
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.provider, provider), eq(userIdentities.issuer, issuer)))
        .orderBy(asc(userIdentities.createdAt))
        .all(),
    /** Every user id with at least one directory identity. */
    linkedUserIds: (): Set<string> =>
      new Set(
        orm
          .selectDistinct({ userId: userIdentities.userId })
          .from(userIdentities)
          .all()
          .map((r) => r.userId),
      ),
    insert: (row: NewUserIdentity): UserIdentity => orm.insert(userIdentities).values(row).returning().get(),
    update: (id: string, patch: Partial<Pick<UserIdentity, 'label' | 'groups' | 'lastSignInAt' | 'lastSyncedAt'>>): void => {
      orm.update(userIdentities).set(patch).where(eq(userIdentities.id, id)).run();
    },
    remove: (id: string): boolean => orm.delete(userIdentities).where(eq(userIdentities.id, id)).run().changes > 0,
  };
}

/** The identities store. */
export type IdentitiesStore = ReturnType<typeof createIdentitiesStore>;
