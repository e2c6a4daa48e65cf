import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const now = sql`(unixepoch('subsec') * 1000)`;
const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/** Local accounts. Emails are stored lower-cased; passwords as scrypt hashes. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull().unique(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['admin', 'user'] }).notNull(),
    status: text('status', { enum: ['active', 'deactivated'] })
      .notNull()
      .default('active'),
    createdAt: ms('created_at').notNull().default(now),
    updatedAt: ms('updated_at').notNull().default(now),
    passwordChangedAt: ms('password_changed_at'),
  },
  (t) => [check('users_role', sql`${t.role} IN ('admin', 'user')`), check('users_status', sql`${t.status} IN ('active', 'deactivated')`)],
);

/**
 * The first-admin claim: at most one row, ever (id is always 1), so the
 * primary key itself makes the claim atomic.
 */
export const setupClaim = sqliteTable(
  'setup_claim',
  {
    id: integer('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    claimedAt: ms('claimed_at').notNull(),
    claimedFrom: text('claimed_from'),
  },
  (t) => [check('setup_claim_single', sql`${t.id} = 1`)],
);

/** Browser sessions; only the SHA-256 of the cookie token is stored. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ms('created_at').notNull(),
    lastSeenAt: ms('last_seen_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    revokedAt: ms('revoked_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** How the session was signed in: a local or directory password, or OpenID Connect. */
    method: text('method', { enum: ['password', 'ldap', 'oidc'] })
      .notNull()
      .default('password'),
    /** Directory sessions end here so group rules are checked again (null: only the usual limits). */
    recheckAt: ms('recheck_at'),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

/** Per-user API keys; the key is shown once, only its hash and prefix are kept. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull().unique(),
    keyHash: text('key_hash').notNull(),
    createdAt: ms('created_at').notNull(),
    lastUsedAt: ms('last_used_at'),
    revokedAt: ms('revoked_at'),
  },
  (t) => [index('api_keys_user').on(t.userId)],
);

/** One-time links: invitations to set a first password, and password resets. */
export const oneTimeTokens = sqliteTable(
  'one_time_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    kind: text('kind', { enum: ['invite', 'reset'] }).notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdBy: text('created_by'),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    usedAt: ms('used_at'),
  },
  (t) => [check('one_time_tokens_kind', sql`${t.kind} IN ('invite', 'reset')`)],
);

/** Failed sign-in counters and lockouts, per account and per address; kept across restarts. */
export const loginThrottle = sqliteTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStart: ms('window_start').notNull(),
  lockedUntil: ms('locked_until'),
});

/** Append-only record of security-relevant events. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: ms('at').notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    target: text('target'),
    ip: text('ip'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_at').on(t.at), index('audit_action').on(t.action), index('audit_actor').on(t.actorId)],
);
