import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/**
 * Every stored secret that must be read back (an SSO client secret, an SMTP
 * password, …), each sealed with AES-256-GCM under a key derived from
 * `DB_ENCRYPTION_KEY` and bound to its name. Credentials that are only
 * verified (passwords, tokens, API keys) are never here: they are hashed
 * where they belong. `key_id` repeats the key id inside `value` so a key
 * rotation finds what is left under an old key with one indexed query.
 */
export const sealedSecrets = sqliteTable(
  'sealed_secrets',
  {
    /** Owner-chosen name, e.g. `smtp.password` or `oidc.<provider>.client_secret`. */
    name: text('name').primaryKey(),
    /** `v1.<key id>.<nonce>.<ciphertext+tag>`, base64url parts (server/kernel/seal.ts). */
    value: text('value').notNull(),
    keyId: text('key_id').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('sealed_secrets_key').on(t.keyId)],
);
