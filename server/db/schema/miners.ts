import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/**
 * Enrolled miners. Only the SHA-256 of a miner's token is kept; a remote
 * miner also leaves the hash of the pairing key it printed, which an admin
 * must paste before the miner gets any job.
 */
export const miners = sqliteTable(
  'miners',
  {
    id: text('id').primaryKey(),
    workerId: text('worker_id').notNull(),
    enrolledVia: text('enrolled_via', { enum: ['secret', 'token'] }).notNull(),
    status: text('status', { enum: ['pending', 'active', 'disabled', 'revoked'] }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    pairingKeyHash: text('pairing_key_hash'),
    pairingFailures: integer('pairing_failures').notNull().default(0),
    registrationTokenId: text('registration_token_id'),
    version: text('version'),
    /** Models the miner advertised last, as JSON. */
    models: text('models', { mode: 'json' }).$type<
      Array<{ name: string; kind?: string | undefined; contextLength?: number | undefined; dimensions?: number | undefined }>
    >(),
    createdAt: ms('created_at').notNull(),
    confirmedAt: ms('confirmed_at'),
    confirmedBy: text('confirmed_by'),
    lastSeenAt: ms('last_seen_at'),
    lastAddress: text('last_address'),
  },
  (t) => [
    check('miners_status', sql`${t.status} IN ('pending', 'active', 'disabled', 'revoked')`),
    check('miners_via', sql`${t.enrolledVia} IN ('secret', 'token')`),
    index('miners_worker').on(t.workerId),
  ],
);

/** One-time tokens an admin makes so a remote miner can enrol. */
export const minerRegistrationTokens = sqliteTable('miner_registration_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  label: text('label').notNull(),
  createdBy: text('created_by'),
  createdAt: ms('created_at').notNull(),
  expiresAt: ms('expires_at').notNull(),
  usedAt: ms('used_at'),
  minerId: text('miner_id'),
});

/** The model catalog: what the admin allows, with the context length jobs run at. */
export const models = sqliteTable(
  'models',
  {
    name: text('name').primaryKey(),
    kind: text('kind', { enum: ['chat', 'embedding'] }).notNull(),
    contextLength: integer('context_length').notNull(),
    /** Vector size of an embedding model; fixed once vectors exist. */
    dimensions: integer('dimensions'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    isDefault: integer('is_default', { mode: 'boolean' }).notNull().default(false),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    check('models_kind', sql`${t.kind} IN ('chat', 'embedding')`),
    // At most one default per kind.
    uniqueIndex('models_default')
      .on(t.kind)
      .where(sql`${t.isDefault} = 1`),
  ],
);
