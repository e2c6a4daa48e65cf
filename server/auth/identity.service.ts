import type { AuditService } from '../audit/audit.service.ts';
import type { Orm } from '../db/client.ts';
import type { Clock } from '../kernel/clock.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import { createAccountService } from './account.service.ts';
import { createKeyService } from './keys.service.ts';
import { createKeysStore } from './keys.store.ts';
import { createLoginService } from './login.service.ts';
import { createMfaService } from './mfa.service.ts';
import { createMfaStore } from './mfa.store.ts';
import type { MfaPolicy } from './mfa.types.ts';
import { createOneTimeLinks } from './one-time-links.service.ts';
import { createSessionService } from './sessions.service.ts';
import { createSessionsStore } from './sessions.store.ts';
import { createSetupService } from './setup.service.ts';
import { createSignInChallenges } from './sign-in-challenges.service.ts';
import { createChallengesStore } from './sign-in-challenges.store.ts';
import { createSignInThrottle } from './sign-in-throttle.service.ts';
import { createThrottleStore } from './sign-in-throttle.store.ts';
import { createTokensStore } from './one-time-links.store.ts';
import { createUserService, type SeatPolicy } from './users.service.ts';
import { createUsersStore } from './users.store.ts';

/** Settings the identity services take from the configuration. */
export interface IdentitySettings {
  bootstrapToken: string | undefined;
  sessionSecret: string;
  idleMinutes: number;
  maxHours: number;
  baseUrl: string;
  /** Who must have a second factor (MFA_REQUIRED); 'admins' when not given, as in the configuration. */
  mfaRequired?: MfaPolicy | undefined;
}

// Without the stored-secrets service no authenticator secret can be kept: enrolment refuses.
const NO_SECRETS: Pick<SecretsService, 'get' | 'put' | 'remove'> = {
  get: () => undefined,
  put: () => {
    throw new Error('MFA enrolment needs the stored-secrets service (createIdentity without secrets)');
  },
  remove: () => false,
};

/**
 * Builds the identity services (setup, sign-in, MFA, sessions, accounts,
 * keys) from their stores; each records to the audit log. `secrets` seals
 * the TOTP secrets (DB_ENCRYPTION_KEY).
 */
export function createIdentity(
  orm: Orm,
  clock: Clock,
  audit: AuditService,
  s: IdentitySettings,
  seats?: SeatPolicy,
  secrets: Pick<SecretsService, 'get' | 'put' | 'remove'> = NO_SECRETS,
) {
  const users = createUsersStore(orm);
  const sessions = createSessionService({
    sessions: createSessionsStore(orm),
    users,
    clock,
    policy: { idleMinutes: s.idleMinutes, maxHours: s.maxHours, secret: s.sessionSecret },
  });
  const links = createOneTimeLinks({ tokens: createTokensStore(orm), clock, baseUrl: s.baseUrl });
  const throttle = createSignInThrottle({ store: createThrottleStore(orm), clock });
  const mfaStore = createMfaStore(orm);
  const mfa = createMfaService({ store: mfaStore, users, secrets, sessions, throttle, audit, clock, policy: s.mfaRequired ?? 'admins' });
  const challenges = createSignInChallenges({ store: createChallengesStore(orm), users, mfa, sessions, audit, clock });
  const login = createLoginService({ users, throttle, sessions, audit, secondFactor: { enabled: mfa.enabled, issue: challenges.issue } });
  const keys = createKeyService({ keys: createKeysStore(orm), users, audit, clock });
  return {
    audit,
    sessions,
    login,
    mfa,
    challenges,
    setup: createSetupService({ users, audit, clock, bootstrapToken: s.bootstrapToken }),
    users: createUserService({ users, sessions, links, audit, clock, mfaEnabled: mfa.enabledUserIds, ...(seats ? { seats } : {}) }),
    account: createAccountService({ users, sessions, keys, links, login, audit, clock }),
    keys,
  };
}

/** The identity services. */
export type Identity = ReturnType<typeof createIdentity>;
