import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { sha256Hex } from '../kernel/secrets.ts';
import type { CallerSession } from './caller.types.ts';
import { publicUser, type UserView } from './identity.views.ts';
import type { LoginMeta } from './login.service.ts';
import type { MfaService } from './mfa.service.ts';
import type { PendingSignIn } from './mfa.types.ts';
import type { SessionService } from './sessions.service.ts';
import type { ChallengesStore } from './sign-in-challenges.store.ts';
import type { UsersStore } from './users.store.ts';

/** How long a challenge lives and how many codes it takes. */
export const CHALLENGE_LIMITS = { ttlMs: 5 * 60_000, attempts: 5 } as const;

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The second half of a password sign-in with MFA. A right password gives a
 * challenge (a random token; only its hash is stored) instead of a session;
 * the challenge and a code then give the session. A challenge lives five
 * minutes, takes five codes and is used once; wrong codes also count in
 * the sign-in throttle.
 */
export function createSignInChallenges(deps: {
  store: ChallengesStore;
  users: UsersStore;
  mfa: MfaService;
  sessions: SessionService;
  audit: AuditService;
  clock: Clock;
}) {
  const { store, users, mfa, sessions, audit, clock } = deps;
  let prunedAt = 0;
  const dead = () => new AppError('token_invalid', 'this sign-in has expired or was already finished; sign in again with your password');

  return {
    /** Issues a challenge for a user whose password was right. */
    issue(userId: string, meta: LoginMeta): PendingSignIn {
      const now = clock();
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        store.prune(new Date(now));
      }
      const challenge = randomBytes(32).toString('base64url');
      const row = store.insert({
        id: randomUUID(),
        tokenHash: sha256Hex(challenge),
        userId,
        createdAt: new Date(now),
        expiresAt: new Date(now + CHALLENGE_LIMITS.ttlMs),
        attempts: 0,
        ip: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 300) ?? null,
      });
      return { challenge, expiresAt: row.expiresAt };
    },

    /**
     * Finishes a sign-in with a code (TOTP or recovery code): a session, or
     * `mfa_invalid` (wrong code), `token_invalid` (challenge expired, used or
     * out of attempts: sign in again) or `too_many_attempts`.
     */
    finish(challenge: string, code: string, meta: LoginMeta): { user: UserView; token: string; session: CallerSession } {
      if (challenge.length > 200) throw dead();
      // Counted before the code is checked, in one transaction, so parallel guesses cannot exceed the limit.
      const { row, user } = store.transaction(() => {
        const row = store.byTokenHash(sha256Hex(challenge));
        if (!row || row.usedAt || row.expiresAt.getTime() <= clock() || row.attempts >= CHALLENGE_LIMITS.attempts) throw dead();
        const user = users.byId(row.userId);
        if (!user || user.status !== 'active') throw dead();
        store.countAttempt(row.id);
        return { row, user };
      });
      const kind = mfa.checkCode(user, code, meta.ip, 'auth.login');
      return store.transaction(() => {
        if (!store.use(row.id, new Date(clock()))) throw dead();
        const { token, session } = sessions.create(user.id, meta);
        audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', ip: meta.ip, details: { mfa: kind } });
        return { user: publicUser(user), token, session };
      });
    },
  };
}

/** The sign-in challenges service. */
export type SignInChallenges = ReturnType<typeof createSignInChallenges>;
