import type { Actor, AuditService } from '../audit/audit.service.ts';
import { AppError } from '../kernel/errors.ts';
import type { Log } from '../kernel/log.ts';
import { verifyPassword } from './password.ts';
import type { SessionService } from './sessions.service.ts';
import type { CallerSession } from './caller.types.ts';
import { publicUser, type UserView } from './identity.views.ts';
import type { Attempt, SignInThrottle } from './sign-in-throttle.service.ts';
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

/** Which local accounts may sign in with their Onsite password (LOCAL_LOGIN). */
export type LocalLogin = 'all' | 'admins' | 'off';

/** A password sign-in against a directory (ldap-login.service.ts): declared here, so the two files do not import each other. */
export interface PasswordDirectory {
  signIn(
    login: string,
    password: string,
    meta: LoginMeta,
  ): Promise<{ ok: true; result: { user: UserView; token: string; session: CallerSession } } | { ok: false; reason: string }>;
}

/** Directory sign-in for `login`: LDAP, the local-login limit, and whether an admin can sign in through a directory. */
export interface LoginDirectory {
  ldap?: PasswordDirectory | undefined;
  localLogin: LocalLogin;
  hasDirectoryAdmin: () => boolean;
  log?: Log | undefined;
}

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
  directory?: LoginDirectory | undefined;
  /** Accounts with a second factor get a challenge instead of a session; without it, none is asked. */
  secondFactor?: SecondFactorPort;
}) {
  const { users, throttle, sessions, audit } = deps;
  const dir: LoginDirectory = deps.directory ?? { localLogin: 'all', hasDirectoryAdmin: () => false };

  // LOCAL_LOGIN=off would lock everyone out while no admin can sign in through a directory:
  // it then acts like `admins` (break-glass) and says so.
  const localAllowed = (user: User): boolean => {
    if (dir.localLogin === 'all') return true;
    if (user.role !== 'admin') return false;
    if (dir.localLogin === 'admins') return true;
    if (dir.hasDirectoryAdmin()) return false;
    dir.log?.warn({ userId: user.id }, 'LOCAL_LOGIN=off, but no active admin has a directory identity: local admin sign-in allowed (break-glass)');
    return true;
  };

  const failed = (
    attempt: Attempt,
    account: string,
    ip: string | undefined,
    purpose: PasswordPurpose,
    user: User | undefined,
    details: Record<string, unknown>,
  ) => {
    const actor: Actor = purpose === 'auth.login' || !user ? { label: account.slice(0, 200) } : { id: user.id, label: user.email };
    audit.record({ actor, action: purpose, outcome: 'failure', ip, details });
    for (const scope of attempt.limitsReached) {
      audit.record({ actor: { label: 'system' }, action: 'auth.lockout', target: scope === 'account' ? account : ip, ip, details: { scope } });
    }
    const wait = attempt.nextWaitS > 0 ? `; wait ${attempt.nextWaitS} s before the next try` : '';
    return new AppError('invalid_credentials', purpose === 'auth.login' ? `${INVALID}${wait}` : `the current password is not correct${wait}`);
  };

  const localSession = (user: User, meta: LoginMeta): LoginResult => {
    if (user.status !== 'active') {
      audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', outcome: 'failure', ip: meta.ip, details: { reason: 'deactivated' } });
      throw new AppError('forbidden', 'this account is deactivated; ask an admin');
    }
    if (deps.secondFactor?.enabled(user.id)) return { mfaRequired: true, ...deps.secondFactor.issue(user.id, meta) };
    const { token, session } = sessions.create(user.id, meta);
    audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', ip: meta.ip });
    return { user: publicUser(user), token, session };
  };

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
      if (!ok || !user) throw failed(attempt, account, ip, purpose, user, { reason: 'invalid_credentials' });
      throttle.succeeded(attempt);
      return user;
    },

    /**
     * Signs in with an email (or, with LDAP, a directory name) and password:
     * a session, or, when a local account has a second factor, a challenge
     * to finish with a code (no session yet).
     * A local account whose password matches comes first, so local admins
     * stay the break-glass path; otherwise the directory is asked. Either
     * way a wrong password is counted by the throttle. Throws
     * `invalid_credentials`, `too_many_attempts`, `forbidden`,
     * `local_login_disabled`, `directory_unreachable` and the directory
     * accounts' refusals (`sso_not_allowed`, `identity_unlinked`, `seats_exceeded`).
     */
    async login(email: string, password: string, meta: LoginMeta): Promise<LoginResult> {
      if (!dir.ldap && dir.localLogin === 'all') {
        const user = await this.checkPassword(email, password, meta.ip, 'auth.login');
        return localSession(user, meta);
      }
      const account = email.trim().toLowerCase().slice(0, 254);
      const attempt = throttle.begin(account, meta.ip);
      const user = users.byEmail(account);
      // Run scrypt for unknown names too: the time taken says nothing about which accounts exist.
      const localOk = (await verifyPassword(password, user?.passwordHash)) && user !== undefined;
      if (localOk && localAllowed(user)) {
        throttle.succeeded(attempt);
        return localSession(user, meta);
      }
      let reason = 'invalid_credentials';
      if (dir.ldap) {
        const r = await dir.ldap.signIn(email.trim().slice(0, 254), password, meta);
        if (r.ok) {
          throttle.succeeded(attempt);
          return { user: r.result.user, token: r.result.token, session: r.result.session };
        }
        reason = r.reason;
      }
      if (localOk) {
        throttle.succeeded(attempt); // the password was right: no reason to hold the person back
        audit.record({
          actor: { id: user.id, label: user.email },
          action: 'auth.login',
          outcome: 'failure',
          ip: meta.ip,
          details: { reason: 'local_login_disabled' },
        });
        throw new AppError(
          'local_login_disabled',
          `sign-in with an Onsite password is limited to ${dir.localLogin === 'admins' ? 'admins' : 'nobody'} here (LOCAL_LOGIN); use your directory account`,
        );
      }
      throw failed(attempt, account, meta.ip, 'auth.login', undefined, dir.ldap ? { method: 'ldap', reason } : { reason });
    },

    /** Lifts an account's waits from every address (after an operator reset). */
    unlock: (email: string) => throttle.unlock(email.trim().toLowerCase()),
  };
}

/** The login service. */
export type LoginService = ReturnType<typeof createLoginService>;
