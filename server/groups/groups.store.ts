import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { featureAccess, groupMembers, groups, modelAccess, users } from '../db/schema/index.ts';
import type { Feature } from '../kernel/features.ts';
import type { Group, GroupMember } from './groups.types.ts';

/** Groups, memberships and model access: the only code touching those tables. */
export function createGroupsStore(orm: Orm) {
  // Asked on every model request: compiled once.
  const groupIdsOf = orm
    .select({ groupId: groupMembers.groupId })
    .from(groupMembers)
    .where(eq(groupMembers.userId, sql.placeholder('userId')))
    .prepare();
  const modelGroups = orm
    .select({ groupId: modelAccess.groupId })
    .from(modelAccess)
    .where(eq(modelAccess.modelName, sql.placeholder('model')))
    .prepare();
  return {
    list: (): Group[] => orm.select().from(groups).orderBy(asc(groups.name)).all(),
    get: (id: string): Group | undefined => orm.select().from(groups).where(eq(groups.id, id)).get(),
    byName: (name: string): Group | undefined =>
      orm
        .select()
        .from(groups)
        .where(sql`lower(${groups.name}) = lower(${name})`)
        .get(),
    insert: (row: typeof groups.$inferInsert): Group => orm.insert(groups).values(row).returning().get(),
    update: (
      id: string,
      patch: Partial<Pick<Group, 'name' | 'description' | 'directoryGroup' | 'budgetDaily' | 'budgetMonthly'>> & { updatedAt: Date },
    ): Group | undefined => orm.update(groups).set(patch).where(eq(groups.id, id)).returning().get(),
    remove: (id: string): boolean => orm.delete(groups).where(eq(groups.id, id)).run().changes > 0,
    synced: (directory: 'oidc' | 'ldap'): Group[] =>
      orm
        .select()
        .from(groups)
        .where(and(eq(groups.kind, 'synced'), eq(groups.directory, directory)))
        .all(),

    members: (groupId: string): Array<GroupMember & { email: string; name: string }> =>
      orm
        .select({ ...groupMembersColumns(), email: users.email, name: users.name })
        .from(groupMembers)
        .innerJoin(users, eq(users.id, groupMembers.userId))
        .where(eq(groupMembers.groupId, groupId))
        .orderBy(asc(users.email))
        .all(),
    memberCount: (groupId: string): number => orm.select({ n: count() }).from(groupMembers).where(eq(groupMembers.groupId, groupId)).get()!.n,
    membership: (groupId: string, userId: string): GroupMember | undefined =>
      orm
        .select()
        .from(groupMembers)
        .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)))
        .get(),
    /** Adds or updates a membership; true when it changed anything. */
    putMember: (row: GroupMember): boolean =>
      orm
        .insert(groupMembers)
        .values(row)
        .onConflictDoUpdate({
          target: [groupMembers.groupId, groupMembers.userId],
          set: { manager: row.manager },
          where: sql`${groupMembers.manager} != ${row.manager ? 1 : 0}`,
        })
        .run().changes > 0,
    removeMember: (groupId: string, userId: string): boolean =>
      orm
        .delete(groupMembers)
        .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)))
        .run().changes > 0,
    groupIdsOf: (userId: string): string[] => groupIdsOf.all({ userId }).map((r) => r.groupId),

    modelGroupIds: (model: string): string[] => modelGroups.all({ model }).map((r) => r.groupId),
    /** Every restricted model with the groups it is open to. */
    modelAccessAll: (): Array<{ modelName: string; groupId: string }> =>
      orm.select({ modelName: modelAccess.modelName, groupId: modelAccess.groupId }).from(modelAccess).all(),
    /** Replaces the groups a model is open to (none: everyone). */
    setModelGroups(model: string, groupIds: string[], at: Date): void {
      orm.delete(modelAccess).where(eq(modelAccess.modelName, model)).run();
      if (groupIds.length > 0)
        orm
          .insert(modelAccess)
          .values(groupIds.map((groupId) => ({ modelName: model, groupId, addedAt: at })))
          .run();
    },
    existingIds: (ids: string[]): string[] =>
      ids.length === 0
        ? []
        : orm
            .select({ id: groups.id })
            .from(groups)
            .where(inArray(groups.id, ids))
            .all()
            .map((r) => r.id),
    activeUserIds: (ids: string[]): string[] =>
      ids.length === 0
        ? []
        : orm
            .select({ id: users.id })
            .from(users)
            .where(and(inArray(users.id, ids), eq(users.status, 'active')))
            .all()
            .map((r) => r.id),
    featureGroupIds: (feature: Feature): string[] =>
      orm
        .select({ groupId: featureAccess.groupId })
        .from(featureAccess)
        .where(eq(featureAccess.feature, feature))
        .all()
        .map((r) => r.groupId),
    /** Replaces the groups a feature is open to (none: everyone). */
    setFeatureGroups(feature: Feature, groupIds: string[], at: Date): void {
      orm.delete(featureAccess).where(eq(featureAccess.feature, feature)).run();
      if (groupIds.length > 0)
        orm
          .insert(featureAccess)
          .values(groupIds.map((groupId) => ({ feature, groupId, addedAt: at })))
          .run();
    },
    /** Every active user, for "who may use this?". */
    activeUsers: (): Array<{ id: string; email: string }> =>
      orm.select({ id: users.id, email: users.email }).from(users).where(eq(users.status, 'active')).orderBy(asc(users.email)).all(),
    /** Runs `fn` in one immediate (write-locking) transaction. */
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

const groupMembersColumns = () => ({
  groupId: groupMembers.groupId,
  userId: groupMembers.userId,
  manager: groupMembers.manager,
  addedAt: groupMembers.addedAt,
});

/** The groups store. */
export type GroupsStore = ReturnType<typeof createGroupsStore>;
