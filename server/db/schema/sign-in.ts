import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from './identity.ts';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/**
 * Directory identities linked to accounts: an OpenID Connect (issuer,
 * subject) or an LDAP entry (directory URL and base, entry id). Accounts are
 * found by this pair, never by email alone.
 */
export const userIdentities = sqliteTable(
  'user_identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: ['oidc', 'ldap'] }).notNull(),
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    /** The directory's name for the user (OIDC preferred username or email, LDAP DN), for admins to read. */
    label: text('label'),
    /** The groups the directory gave at the last sign-in or sync. */
    groups: text('groups', { mode: 'json' }).$type<string[]>(),
    createdAt: ms('created_at').notNull(),
    lastSignInAt: ms('last_sign_in_at'),
    lastSyncedAt: ms('last_synced_at'),
  },
  (t) => [
    uniqueIndex('user_identities_subject').on(t.provider, t.issuer, t.subject),
    index('user_identities_user').on(t.userId),
    check('user_identities_provider', sql`${t.provider} IN ('oidc', 'ldap')`),
  ],
);

/**
 * TOTP second factors of local accounts. The shared secret itself is sealed
 * in `sealed_secrets` (name `auth.totp:<user id>`), so key rotation covers it.
 */
export const userMfa = sqliteTable('user_mfa', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: ms('created_at').notNull(),
  /** Set when the user proved the authenticator with a code; null while enrolling. */
  confirmedAt: ms('confirmed_at'),
  /** The last accepted time step: a code is never accepted twice. */
  lastStep: integer('last_step'),
});

/** One-time recovery codes of a TOTP factor; only their hashes are stored. */
export const mfaRecoveryCodes = sqliteTable(
  'mfa_recovery_codes',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: ms('created_at').notNull(),
    usedAt: ms('used_at'),
  },
  (t) => [index('mfa_recovery_codes_user').on(t.userId)],
);

/**
 * Sign-ins half done: the password was right and the second factor is
 * awaited. The browser holds a random token; only its hash is stored.
 */
export const signInChallenges = sqliteTable('sign_in_challenges', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: ms('created_at').notNull(),
  expiresAt: ms('expires_at').notNull(),
  attempts: integer('attempts').notNull().default(0),
  usedAt: ms('used_at'),
  ip: text('ip'),
  userAgent: text('user_agent'),
});
