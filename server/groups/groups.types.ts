import type { groupMembers, groups } from '../db/schema/index.ts';

export { EVERYONE_GROUP_ID } from '../db/schema/index.ts';

/** A group row. */
export type Group = typeof groups.$inferSelect;

/** A membership row. */
export type GroupMember = typeof groupMembers.$inferSelect;
