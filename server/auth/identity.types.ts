import type { apiKeys, oneTimeTokens, sessions, setupClaim, userIdentities, users } from '../db/schema/index.ts';

/** A user row. */
export type User = typeof users.$inferSelect;

/** Fields of a new user. */
export type NewUser = typeof users.$inferInsert;

/** The recorded first-admin claim. */
export type SetupClaim = typeof setupClaim.$inferSelect;

/** An API key row: prefix and hash only. */
export type ApiKey = typeof apiKeys.$inferSelect;

/** A session row (the token itself is never stored). */
export type Session = typeof sessions.$inferSelect;

/** A one-time token row (invite or reset); only the hash is stored. */
export type OneTimeToken = typeof oneTimeTokens.$inferSelect;

/** A directory identity (OIDC issuer and subject, or LDAP directory and entry) linked to an account. */
export type UserIdentity = typeof userIdentities.$inferSelect;

/** Fields of a new directory identity. */
export type NewUserIdentity = typeof userIdentities.$inferInsert;
