import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from './identity.ts';
import { models } from './miners.ts';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/** The built-in group every active user is in; it has no member rows. */
export const EVERYONE_GROUP_ID = 'everyone';

/**
 * Groups of users. `local` groups are managed in Onsite; `synced` ones take
 * their members from a directory group (OIDC groups claim or LDAP group,
 * named by `directoryGroup`) at each sign-in and directory sync; `everyone`
 * is the one built-in group of every active user.
 */
export const groups = sqliteTable(
  'groups',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    kind: text('kind', { enum: ['local', 'synced', 'everyone'] }).notNull(),
    /** Synced groups: which directory, and its group's name or DN. */
    directory: text('directory', { enum: ['oidc', 'ldap'] }),
    directoryGroup: text('directory_group'),
    /** Token budgets of the group's members (null: the group sets none; 0: unlimited). */
    budgetDaily: integer('budget_daily'),
    budgetMonthly: integer('budget_monthly'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('groups_name').on(sql`lower(${t.name})`),
    check('groups_kind', sql`${t.kind} IN ('local', 'synced', 'everyone')`),
    check('groups_synced', sql`(${t.kind} = 'synced') = (${t.directory} IS NOT NULL AND ${t.directoryGroup} IS NOT NULL)`),
  ],
);

/** Members of local and synced groups; a manager may change a local group's members. */
export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    manager: integer('manager', { mode: 'boolean' }).notNull().default(false),
    addedAt: ms('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_members_user').on(t.userId)],
);

/**
 * Which groups may use a catalog model. A model with no row here is open to
 * everyone; with rows, only to members of those groups.
 */
export const modelAccess = sqliteTable(
  'model_access',
  {
    modelName: text('model_name')
      .notNull()
      .references(() => models.name, { onDelete: 'cascade', onUpdate: 'cascade' }),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    addedAt: ms('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelName, t.groupId] }), index('model_access_group').on(t.groupId)],
);

/**
 * Which groups may use a feature (web page reading in chat, document
 * uploads, API keys). A feature with no row here is open to everyone.
 */
export const featureAccess = sqliteTable(
  'feature_access',
  {
    feature: text('feature', { enum: ['web_pages', 'uploads', 'api_keys'] }).notNull(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    addedAt: ms('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.feature, t.groupId] }), check('feature_access_feature', sql`${t.feature} IN ('web_pages', 'uploads', 'api_keys')`)],
);
