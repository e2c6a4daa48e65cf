import type { Actor, AuditService } from '../audit/audit.service.ts';
import { AppError } from '../kernel/errors.ts';
import { verifyPassword } from './password.ts';
import type { SessionService } from './sessions.service.ts';
import type { CallerSession } from './caller.types.ts';
import { publicUser, type UserView } from './identity.views.ts';
import type { SignInThrottle } from './sign-in-throttle.service.ts';
import type { UsersStore } from './users.store.ts';
import type { User } from './identity.types.ts';
import type { PendingSignIn } from './mfa.types.ts';

/** Where a sign-in comes from. */
export interface LoginMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** A password sign-in: a session, or (with MFA) a challenge to finish with a code. */
export type LoginResult = { mfaRequired?: undefined; user: UserView; token: string; session: CallerSession } | ({ mfaRequired: true } & PendingSignIn);

/** The second factor as sign-in sees it: whether a user has one, and the challenge that awaits its code. */
export interface SecondFactorPort {
  enabled(userId: string): boolean;
  issue(userId: string, meta: LoginMeta): PendingSignIn;
}

/** What a password is being checked for: the audit action of a wrong one. */
export type PasswordPurpose = 'auth.login' | 'user.password_change';

const INVALID = 'email or password is incorrect';

/**
 * Password sign-in under the sign-in throttle. An unknown email and a wrong
 * password get the same answer after the same work (a scrypt run either
 * way); unknown emails are throttled the same way, so a wait says nothing
 * about whether an account exists.
 */
export function createLoginService(deps: {
  users: UsersStore;
  throttle: SignInThrottle;
  sessions: SessionService;
  audit: AuditService;
  /** Accounts with a second factor get a challenge instead of a session; without it, none is asked. */
  secondFactor?: SecondFactorPort;
}) {
  const { users, throttle, sessions, audit } = deps;

  return {
    /**
     * Checks an email and password, counted by the throttle: the one check
     * behind sign-in and the current-password check of a password change.
     * A wrong password is audited as a failure of `purpose`; throws
     * `invalid_credentials` or `too_many_attempts`.
     */
    async checkPassword(email: string, password: string, ip: string | undefined, purpose: PasswordPurpose): Promise<User> {
      const account = email.trim().toLowerCase().slice(0, 254);
      const attempt = throttle.begin(account, ip);
      const user = users.byEmail(account);
      const ok = await verifyPassword(password, user?.passwordHash);
      if (!ok || !user) {
        const actor: Actor = purpose === 'auth.login' || !user ? { label: account.slice(0, 200) } : { id: user.id, label: user.email };
        audit.record({ actor, action: purpose, outcome: 'failure', ip, details: { reason: 'invalid_credentials' } });
        for (const scope of attempt.limitsReached) {
          audit.record({ actor: { label: 'system' }, action: 'auth.lockout', target: scope === 'account' ? account : ip, ip, details: { scope } });
        }
        const wait = attempt.nextWaitS > 0 ? `; wait ${attempt.nextWaitS} s before the next try` : '';
        throw new AppError('invalid_credentials', purpose === 'auth.login' ? `${INVALID}${wait}` : `the current password is not correct${wait}`);
      }
      throttle.succeeded(attempt);
      return user;
    },

    /**
     * Signs in with a password: a session, or, when the account has a
     * second factor, a challenge to finish with a code (no session yet).
     */
    async login(email: string, password: string, meta: LoginMeta): Promise<LoginResult> {
      const user = await this.checkPassword(email, password, meta.ip, 'auth.login');
      if (user.status !== 'active') {
        audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', outcome: 'failure', ip: meta.ip, details: { reason: 'deactivated' } });
        throw new AppError('forbidden', 'this account is deactivated; ask an admin');
      }
      if (deps.secondFactor?.enabled(user.id)) return { mfaRequired: true, ...deps.secondFactor.issue(user.id, meta) };
      const { token, session } = sessions.create(user.id, meta);
      audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', ip: meta.ip });
      return { user: publicUser(user), token, session };
    },

    /** Lifts an account's waits from every address (after an operator reset). */
    unlock: (email: string) => throttle.unlock(email.trim().toLowerCase()),
  };
}

/** The login service. */
export type LoginService = ReturnType<typeof createLoginService>;
