import type { mfaRecoveryCodes, signInChallenges, userMfa } from '../db/schema/index.ts';

/** A TOTP factor row (its secret is sealed elsewhere, in `sealed_secrets`). */
export type MfaFactor = typeof userMfa.$inferSelect;

/** A recovery code row: only the code's hash. */
export type RecoveryCode = typeof mfaRecoveryCodes.$inferSelect;

/** A half-done sign-in awaiting its second factor; only the token's hash. */
export type SignInChallenge = typeof signInChallenges.$inferSelect;

/** Who must have a second factor (MFA_REQUIRED): admins, every local account, or nobody. */
export type MfaPolicy = 'admins' | 'all' | 'off';

/** A sign-in that awaits its second factor: the token the client sends back with the code. */
export interface PendingSignIn {
  challenge: string;
  expiresAt: Date;
}
