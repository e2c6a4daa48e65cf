import { randomUUID } from 'node:crypto';
import type { Actor, AuditService } from '../audit/audit.service.ts';
import { FEATURES, type Feature, type FeatureGate } from '../kernel/features.ts';
import { inAnyGroup } from '../kernel/group-names.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { GroupsStore } from './groups.store.ts';
import { EVERYONE_GROUP_ID, type Group } from './groups.types.ts';
import { groupView, memberView, type GroupView, type MemberView } from './groups.views.ts';

/** Who asks for a change: admins may do anything, a group's managers may change its members. */
export interface GroupCaller {
  id: string;
  email: string;
  role: 'admin' | 'user';
}

/** A new group: local, or synced from a directory group. */
export interface GroupInput {
  name: string;
  description?: string | undefined;
  kind: 'local' | 'synced';
  directory?: 'oidc' | 'ldap' | undefined;
  directoryGroup?: string | undefined;
}

const actorOf = (c: GroupCaller): Actor => ({ id: c.id, label: c.email });

/**
 * Groups of users: local groups managed here (by admins, and for members
 * by the group's managers), groups synced from a directory group at each
 * sign-in and directory sync, and the built-in Everyone. Every change is
 * audited with before and after; deleting a group removes only the group.
 */
export function createGroupsService(deps: { store: GroupsStore; audit: AuditService; clock: Clock }) {
  const { store, audit, clock } = deps;

  const mustGet = (id: string): Group => {
    const g = store.get(id);
    if (!g) throw new AppError('not_found', 'no such group');
    return g;
  };
  const assertAdmin = (c: GroupCaller) => {
    if (c.role !== 'admin') throw new AppError('forbidden', 'only admins may do this');
  };
  // A local group's members: admins, or a manager of that group.
  const assertCanManage = (c: GroupCaller, g: Group) => {
    if (g.kind !== 'local')
      throw new AppError(
        'group_read_only',
        g.kind === 'everyone'
          ? 'Everyone holds every active user; its members cannot be changed'
          : `the members of ${g.name} come from the directory group ${g.directoryGroup}`,
      );
    if (c.role === 'admin') return;
    if (!store.membership(g.id, c.id)?.manager) throw new AppError('forbidden', "only admins and this group's managers may change its members");
  };
  const view = (g: Group): GroupView =>
    groupView(
      g,
      g.kind === 'everyone' ? undefined : store.memberCount(g.id),
      store
        .modelAccessAll()
        .filter((a) => a.groupId === g.id)
        .map((a) => a.modelName),
    );

  return {
    /** Every group, Everyone first. */
    list: (): GroupView[] =>
      store
        .list()
        .sort((a, b) => Number(b.kind === 'everyone') - Number(a.kind === 'everyone'))
        .map(view),
    get: (id: string): GroupView => view(mustGet(id)),
    members: (id: string): MemberView[] => (mustGet(id), store.members(id).map(memberView)),

    create(c: GroupCaller, input: GroupInput, ip?: string): GroupView {
      assertAdmin(c);
      if (input.kind === 'synced' && (!input.directory || !input.directoryGroup))
        throw new AppError('validation_failed', 'a synced group names its directory (oidc or ldap) and the directory group');
      if (store.byName(input.name)) throw new AppError('conflict', `a group named ${input.name} already exists`);
      const now = new Date(clock());
      const g = store.insert({
        id: randomUUID(),
        name: input.name,
        description: input.description ?? '',
        kind: input.kind,
        directory: input.kind === 'synced' ? input.directory! : null,
        directoryGroup: input.kind === 'synced' ? input.directoryGroup! : null,
        createdAt: now,
        updatedAt: now,
      });
      audit.record({
        actor: actorOf(c),
        action: 'group.create',
        target: g.id,
        ip,
        details: { after: { name: g.name, kind: g.kind, directoryGroup: g.directoryGroup } },
      });
      return view(g);
    },

    update(
      c: GroupCaller,
      id: string,
      patch: {
        name?: string | undefined;
        description?: string | undefined;
        directoryGroup?: string | undefined;
        budgetDaily?: number | null | undefined;
        budgetMonthly?: number | null | undefined;
      },
      ip?: string,
    ): GroupView {
      assertAdmin(c);
      const before = mustGet(id);
      if (before.kind === 'everyone' && patch.name !== undefined && patch.name !== before.name)
        throw new AppError('group_read_only', 'Everyone keeps its name');
      if (patch.directoryGroup !== undefined && before.kind !== 'synced') throw new AppError('validation_failed', 'only a synced group has a directory group');
      const sameName = patch.name !== undefined ? store.byName(patch.name) : undefined;
      if (sameName && sameName.id !== id) throw new AppError('conflict', `a group named ${patch.name} already exists`);
      const after = store.update(id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.directoryGroup !== undefined ? { directoryGroup: patch.directoryGroup } : {}),
        ...(patch.budgetDaily !== undefined ? { budgetDaily: patch.budgetDaily } : {}),
        ...(patch.budgetMonthly !== undefined ? { budgetMonthly: patch.budgetMonthly } : {}),
        updatedAt: new Date(clock()),
      })!;
      const pick = (g: Group) => ({
        name: g.name,
        description: g.description,
        directoryGroup: g.directoryGroup,
        budgetDaily: g.budgetDaily,
        budgetMonthly: g.budgetMonthly,
      });
      audit.record({ actor: actorOf(c), action: 'group.update', target: id, ip, details: { before: pick(before), after: pick(after) } });
      return view(after);
    },

    /**
     * Deletes a group: its memberships and model grants go, never a
     * collection or conversation. Refused when a model is open to this
     * group alone (deleting it would open the model to everyone).
     */
    remove(c: GroupCaller, id: string, ip?: string): void {
      assertAdmin(c);
      store.transaction(() => {
        const g = mustGet(id);
        if (g.kind === 'everyone') throw new AppError('group_read_only', 'Everyone is built in and cannot be deleted');
        const access = store.modelAccessAll();
        const onlyHere = [...new Set(access.filter((a) => a.groupId === id).map((a) => a.modelName))].filter(
          (m) => access.filter((a) => a.modelName === m).length === 1,
        );
        if (onlyHere.length > 0)
          throw new AppError(
            'conflict',
            `${onlyHere.join(', ')} ${onlyHere.length === 1 ? 'is' : 'are'} open only to ${g.name}; open ${onlyHere.length === 1 ? 'it' : 'them'} to another group first`,
          );
        const members = store.memberCount(id);
        store.remove(id);
        audit.record({ actor: actorOf(c), action: 'group.delete', target: id, ip, details: { before: { name: g.name, kind: g.kind, members } } });
      });
    },

    /** The groups a user manages (what a non-admin sees of the groups). */
    managedBy: (userId: string): GroupView[] =>
      store
        .list()
        .filter((g) => store.membership(g.id, userId)?.manager)
        .map(view),

    /** Refuses (`forbidden`) a caller who is neither an admin nor a manager of the group. */
    assertCanRead(c: GroupCaller, id: string): void {
      mustGet(id);
      if (c.role !== 'admin' && !store.membership(id, c.id)?.manager) throw new AppError('forbidden', "only admins and this group's managers may see it");
    },

    /** Adds a user to a local group, or changes whether they manage it (admins only). */
    putMember(c: GroupCaller, groupId: string, userId: string, options: { manager?: boolean | undefined } = {}, ip?: string): MemberView {
      const g = mustGet(groupId);
      assertCanManage(c, g);
      if (options.manager !== undefined && c.role !== 'admin') throw new AppError('forbidden', 'only admins choose who manages a group');
      return store.transaction(() => {
        if (store.activeUserIds([userId]).length === 0) throw new AppError('not_found', 'no such active user');
        const before = store.membership(groupId, userId);
        const manager = options.manager ?? before?.manager ?? false;
        if (store.putMember({ groupId, userId, manager, addedAt: before?.addedAt ?? new Date(clock()) }))
          audit.record({
            actor: actorOf(c),
            action: 'group.member_put',
            target: groupId,
            ip,
            details: { userId, before: before ? { manager: before.manager } : null, after: { manager } },
          });
        return memberView(store.members(groupId).find((m) => m.userId === userId)!);
      });
    },

    removeMember(c: GroupCaller, groupId: string, userId: string, ip?: string): void {
      const g = mustGet(groupId);
      assertCanManage(c, g);
      if (!store.removeMember(groupId, userId)) throw new AppError('not_found', 'this user is not a member of the group');
      audit.record({ actor: actorOf(c), action: 'group.member_remove', target: groupId, ip, details: { userId } });
    },

    /**
     * Brings a user's memberships of the groups synced from `directory` in
     * line with the directory groups it just reported (a sign-in or a sync).
     */
    syncMemberships(userId: string, directory: 'oidc' | 'ldap', directoryGroups: readonly string[]): void {
      store.transaction(() => {
        for (const g of store.synced(directory)) {
          const wanted = inAnyGroup(directoryGroups, [g.directoryGroup!]);
          const has = store.membership(g.id, userId) !== undefined;
          if (wanted && !has) store.putMember({ groupId: g.id, userId, manager: false, addedAt: new Date(clock()) });
          if (!wanted && has) store.removeMember(g.id, userId);
          if (wanted !== has)
            audit.record({
              actor: { label: `${directory}-sync` },
              action: wanted ? 'group.member_put' : 'group.member_remove',
              target: g.id,
              details: { userId, synced: true },
            });
        }
      });
    },

    /** The groups a feature is open to; empty: everyone. */
    featureGroupIds: (feature: Feature): string[] => store.featureGroupIds(feature),

    /** Opens a feature to these groups only (none, or Everyone: to all), audited. */
    setFeatureGroups(c: GroupCaller, feature: Feature, groupIds: readonly string[], ip?: string): string[] {
      assertAdmin(c);
      const wanted = [...new Set(groupIds)];
      return store.transaction(() => {
        const known = store.existingIds(wanted);
        const unknown = wanted.filter((id) => !known.includes(id));
        if (unknown.length > 0) throw new AppError('not_found', `no such group: ${unknown.join(', ')}`);
        const before = store.featureGroupIds(feature);
        const after = wanted.includes(EVERYONE_GROUP_ID) ? [] : wanted;
        store.setFeatureGroups(feature, after, new Date(clock()));
        audit.record({ actor: actorOf(c), action: 'feature.access', target: feature, ip, details: { before, after } });
        return after;
      });
    },

    /** Every feature a user may use or not, and through which group (the permission view). */
    featurePermissionsOf(userId: string): Array<{ feature: Feature; via: { id: string; name: string } | null }> {
      const names = new Map(store.list().map((g) => [g.id, g.name]));
      return FEATURES.map((feature) => {
        const via = this.featureAllowedVia(userId, feature);
        return { feature, via: via ? { id: via, name: names.get(via) ?? via } : null };
      });
    },

    /** The group through which a user may use a feature, or undefined (read fresh each time, as for models). */
    featureAllowedVia(userId: string, feature: Feature): string | undefined {
      const open = store.featureGroupIds(feature);
      if (open.length === 0) return EVERYONE_GROUP_ID;
      const mine = new Set(store.groupIdsOf(userId));
      return open.find((id) => mine.has(id));
    },

    /** The token budgets of a user's groups, Everyone's included (the usage service's GroupBudgets). */
    budgetsOf(userId: string): Array<{ daily: number | null; monthly: number | null }> {
      const mine = new Set([EVERYONE_GROUP_ID, ...store.groupIdsOf(userId)]);
      return store
        .list()
        .filter((g) => mine.has(g.id))
        .map((g) => ({ daily: g.budgetDaily, monthly: g.budgetMonthly }));
    },

    /** The groups a user is in: Everyone and their memberships. */
    groupIdsOf: (userId: string): string[] => [EVERYONE_GROUP_ID, ...store.groupIdsOf(userId)],

    /** Opens a model to these groups only (none: to everyone). */
    setModelGroups(c: GroupCaller, model: string, groupIds: readonly string[], ip?: string): string[] {
      assertAdmin(c);
      const wanted = [...new Set(groupIds)];
      return store.transaction(() => {
        const known = store.existingIds(wanted);
        const unknown = wanted.filter((id) => !known.includes(id));
        if (unknown.length > 0) throw new AppError('not_found', `no such group: ${unknown.join(', ')}`);
        const before = store.modelGroupIds(model);
        // Everyone among the groups is the same as no restriction.
        const after = wanted.includes(EVERYONE_GROUP_ID) ? [] : wanted;
        store.setModelGroups(model, after, new Date(clock()));
        audit.record({ actor: actorOf(c), action: 'model.access', target: model, ip, details: { before, after } });
        return after;
      });
    },

    /**
     * Sets, in one transaction, which restricted models this group may use:
     * each model in `models` gains the group, each other model loses it. A
     * model that would be left with no group (and so open to everyone) is
     * refused: open it to Everyone on purpose instead.
     */
    setGroupModels(c: GroupCaller, groupId: string, models: readonly string[], allModels: readonly string[], ip?: string): void {
      assertAdmin(c);
      const g = mustGet(groupId);
      if (g.kind === 'everyone') throw new AppError('group_read_only', 'a model open to Everyone has no restriction: choose its groups instead');
      store.transaction(() => {
        const wanted = new Set(models);
        const widened: string[] = [];
        for (const model of allModels) {
          const before = store.modelGroupIds(model);
          const has = before.includes(groupId);
          if (wanted.has(model) === has) continue;
          const after = wanted.has(model) ? [...before, groupId] : before.filter((id) => id !== groupId);
          if (after.length === 0) {
            widened.push(model);
            continue;
          }
          store.setModelGroups(model, after, new Date(clock()));
          audit.record({ actor: actorOf(c), action: 'model.access', target: model, ip, details: { before, after } });
        }
        if (widened.length > 0)
          throw new AppError(
            'conflict',
            `${widened.join(', ')} would be open to everyone without ${g.name}; nothing was changed. Open ${widened.length === 1 ? 'it' : 'them'} to Everyone on purpose instead`,
          );
      });
    },

    /** Adds and removes several members of a local group at once, in one transaction. */
    changeMembers(c: GroupCaller, groupId: string, change: { add?: readonly string[]; remove?: readonly string[] }, ip?: string): void {
      store.transaction(() => {
        for (const userId of change.add ?? []) this.putMember(c, groupId, userId, {}, ip);
        for (const userId of change.remove ?? []) this.removeMember(c, groupId, userId, ip);
      });
    },

    /** The groups a model is open to; empty: everyone. */
    modelGroupIds: (model: string): string[] => store.modelGroupIds(model),

    /** What one user may use, and through which group: answered by {@link modelAllowedVia}, as enforcement is. */
    permissionsOf(userId: string, models: readonly string[]): Array<{ model: string; via: { id: string; name: string } | null }> {
      const names = new Map(store.list().map((g) => [g.id, g.name]));
      return models.map((model) => {
        const via = this.modelAllowedVia(userId, model);
        return { model, via: via ? { id: via, name: names.get(via) ?? via } : null };
      });
    },

    /** Who may use one model, and through which group. */
    whoMayUse(model: string): Array<{ userId: string; email: string; via: { id: string; name: string } }> {
      const names = new Map(store.list().map((g) => [g.id, g.name]));
      return store.activeUsers().flatMap((u) => {
        const via = this.modelAllowedVia(u.id, model);
        return via ? [{ userId: u.id, email: u.email, via: { id: via, name: names.get(via) ?? via } }] : [];
      });
    },

    /**
     * The group through which a user may use a model (Everyone when it is
     * open to all), or undefined: the one answer both enforcement and the
     * permission views use. Read from the database each time, so a removed
     * member loses access at their next request.
     */
    modelAllowedVia(userId: string, model: string): string | undefined {
      const open = store.modelGroupIds(model);
      if (open.length === 0) return EVERYONE_GROUP_ID;
      const mine = new Set(store.groupIdsOf(userId));
      return open.find((id) => mine.has(id));
    },
  };
}

/** The features' gate (kernel/features.ts), answered by the groups. */
export function featureGateOf(groups: Pick<GroupsService, 'featureAllowedVia'>): FeatureGate {
  return { allows: (userId, feature) => groups.featureAllowedVia(userId, feature) !== undefined };
}

/** The models catalog's gate (models.service.ts's ModelGate), answered by the groups. */
export function modelGateOf(groups: Pick<GroupsService, 'modelAllowedVia'>) {
  return { allowed: (userId: string, model: string) => groups.modelAllowedVia(userId, model) !== undefined };
}

/** The groups service. */
export type GroupsService = ReturnType<typeof createGroupsService>;
