import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Every activation code ever installed, newest last; the newest is in force.
 * Codes are kept whole so an installation can show its history and re-verify.
 */
export const licenses = sqliteTable(
  'licenses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    code: text('code').notNull(),
    licenseId: text('license_id').notNull(),
    customer: text('customer').notNull(),
    seats: integer('seats').notNull(),
    features: text('features', { mode: 'json' }).$type<string[]>().notNull(),
    issuedAt: integer('issued_at', { mode: 'timestamp' }).notNull(),
    notBefore: integer('not_before', { mode: 'timestamp' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp' }).notNull(),
    graceDays: integer('grace_days').notNull(),
    keyId: text('key_id').notNull(),
    installedAt: integer('installed_at', { mode: 'timestamp_ms' }).notNull(),
    installedBy: text('installed_by').notNull(),
  },
  (t) => [index('licenses_installed').on(t.installedAt)],
);
