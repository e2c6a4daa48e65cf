import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { createRateLimiter } from '../kernel/rate-limit.ts';
import { secretsEqual } from '../kernel/secrets.ts';
import { checkPasswordPolicy, hashPassword } from './password.ts';
import type { UsersStore } from './users.store.ts';
import { publicUser, type UserView } from './identity.views.ts';

/** What a first-admin claim carries. */
export interface ClaimInput {
  token: string;
  name: string;
  email: string;
  password: string;
}

/** Where setup stands. */
export interface SetupStatus {
  claimed: boolean;
  /** False when no bootstrap token is configured (init has not run). */
  tokenConfigured: boolean;
}

// Wrong-token attempts allowed per address before a pause.
const FAILURES_PER_WINDOW = 10;
const WINDOW_MS = 15 * 60_000;

/**
 * The one-time first-admin claim. The bootstrap token is compared in
 * constant time and never logged; the claim is one transaction on a
 * single-row table, so exactly one claim can ever succeed, and afterwards
 * setup stays closed whatever token is configured.
 */
export function createSetupService(deps: { users: UsersStore; audit: AuditService; clock: Clock; bootstrapToken: string | undefined }) {
  const { users, audit, clock, bootstrapToken } = deps;
  const failures = createRateLimiter(FAILURES_PER_WINDOW, WINDOW_MS, clock);

  return {
    status: (): SetupStatus => ({ claimed: users.claim() !== undefined, tokenConfigured: Boolean(bootstrapToken) }),

    claimRecord: () => users.claim(),

    async claim(input: ClaimInput, ip: string | undefined): Promise<UserView> {
      if (users.claim()) throw new AppError('setup_closed', 'this appliance is already set up; sign in instead');
      const ipKey = ip ?? 'unknown';
      if (failures.blocked(ipKey)) {
        throw new AppError('rate_limited', `too many wrong setup tokens from this address; try again in ${failures.retryAfter(ipKey)} s`);
      }
      if (!bootstrapToken) {
        throw new AppError('bootstrap_token_missing', 'no bootstrap token is configured: run the init script (scripts/init.sh), then restart');
      }
      if (!secretsEqual(input.token, bootstrapToken)) {
        failures.hit(ipKey);
        audit.record({ actor: { label: 'anonymous' }, action: 'setup.claim', outcome: 'failure', ip, details: { reason: 'wrong_token' } });
        throw new AppError('setup_token_invalid', 'the bootstrap token is not correct');
      }
      checkPasswordPolicy(input.password, input.email);
      const passwordHash = await hashPassword(input.password);
      const user = users.transaction(() => {
        if (users.claim()) return undefined;
        const now = new Date(clock());
        const admin = users.insert({
          id: randomUUID(),
          email: input.email,
          name: input.name,
          passwordHash,
          role: 'admin',
          status: 'active',
          createdAt: now,
          updatedAt: now,
          passwordChangedAt: now,
        });
        users.insertClaim({ userId: admin.id, claimedAt: now, claimedFrom: ip ?? null });
        return admin;
      });
      if (!user) throw new AppError('setup_closed', 'this appliance is already set up; sign in instead');
      audit.record({ actor: { id: user.id, label: user.email }, action: 'setup.claim', target: user.id, ip });
      return publicUser(user);
    },
  };
}

/** The setup service. */
export type SetupService = ReturnType<typeof createSetupService>;
