import type { Group, GroupMember } from './groups.types.ts';

/** A group as the API and the pages show it. */
export interface GroupView {
  id: string;
  name: string;
  description: string;
  kind: Group['kind'];
  directory: Group['directory'];
  directoryGroup: string | null;
  /** Token budgets of the members (null: none set here; 0: unlimited). */
  budgetDaily: number | null;
  budgetMonthly: number | null;
  /** Members with a row (Everyone: null, it holds every active user). */
  memberCount: number | null;
  /** The models open to this group among others (restricted models only). */
  models: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A member as the API and the pages show it. */
export interface MemberView {
  userId: string;
  email: string;
  name: string;
  manager: boolean;
  addedAt: Date;
}

/** Builds a group's view field by field. */
export function groupView(g: Group, memberCount: number | undefined, models: string[]): GroupView {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    kind: g.kind,
    directory: g.directory,
    directoryGroup: g.directoryGroup,
    budgetDaily: g.budgetDaily,
    budgetMonthly: g.budgetMonthly,
    memberCount: memberCount ?? null,
    models,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}

/** Builds a member's view field by field. */
export function memberView(m: GroupMember & { email: string; name: string }): MemberView {
  return { userId: m.userId, email: m.email, name: m.name, manager: m.manager, addedAt: m.addedAt };
}
