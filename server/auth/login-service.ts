import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { verifyPassword } from './password.ts';
import type { SessionService } from './session-service.ts';
import type { Session } from './sessions-store.ts';
import type { ThrottleStore } from './throttle-store.ts';
import type { User, UsersStore } from './users-store.ts';

/** Lockout rules: failures within a window lock the account or the address for a while. */
export const THROTTLE = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  accountFailures: 5,
  addressFailures: 20,
} as const;

/** Where a sign-in comes from. */
export interface LoginMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

const INVALID = 'email or password is incorrect';

/**
 * Password sign-in with throttling per account and per address. An unknown
 * email and a wrong password get the same answer after the same work (a
 * scrypt run either way); locks apply to unknown emails too, so a lock says
 * nothing about whether an account exists.
 */
export function createLoginService(deps: {
  users: UsersStore;
  throttle: ThrottleStore;
  sessions: SessionService;
  audit: AuditService;
  clock: Clock;
}) {
  const { users, throttle, sessions, audit, clock } = deps;

  const lockedFor = (key: string): number => {
    const row = throttle.get(key);
    const until = row?.lockedUntil?.getTime() ?? 0;
    return until > clock() ? Math.ceil((until - clock()) / 1000) : 0;
  };

  const fail = (key: string, limit: number): boolean => {
    const now = clock();
    const row = throttle.get(key);
    const fresh = !row || now - row.windowStart.getTime() >= THROTTLE.windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    const lock = failures >= limit;
    throttle.put({
      key,
      failures: lock ? 0 : failures,
      windowStart: fresh || lock ? new Date(now) : row.windowStart,
      lockedUntil: lock ? new Date(now + THROTTLE.lockMs) : (row?.lockedUntil ?? null),
    });
    return lock;
  };

  return {
    async login(email: string, password: string, meta: LoginMeta): Promise<{ user: User; token: string; session: Session }> {
      const normalized = email.trim().toLowerCase();
      const acctKey = `account:${normalized}`;
      const ipKey = `address:${meta.ip ?? 'unknown'}`;
      const ipWait = lockedFor(ipKey);
      if (ipWait > 0) throw new AppError('address_locked', `too many failed sign-ins from this address; try again in ${Math.ceil(ipWait / 60)} min`);
      const acctWait = lockedFor(acctKey);
      if (acctWait > 0) {
        throw new AppError('account_locked', `this account is locked after repeated failed sign-ins; try again in ${Math.ceil(acctWait / 60)} min or ask an admin`);
      }

      // Count the attempt as a failure before the (slow, async) password check,
      // so a burst of parallel guesses cannot all slip in under the limit; a
      // success takes it back.
      const ipBefore = throttle.get(ipKey);
      const acctLocked = fail(acctKey, THROTTLE.accountFailures);
      const ipLocked = fail(ipKey, THROTTLE.addressFailures);
      const user = users.byEmail(normalized);
      const ok = await verifyPassword(password, user?.passwordHash);
      if (!ok || !user) {
        audit.record({ actor: { label: normalized.slice(0, 200) }, action: 'auth.login', outcome: 'failure', ip: meta.ip, details: { reason: 'invalid_credentials' } });
        if (acctLocked || ipLocked) {
          audit.record({ actor: { label: 'system' }, action: 'auth.lockout', target: acctLocked ? acctKey : ipKey, ip: meta.ip });
        }
        throw new AppError('invalid_credentials', INVALID);
      }
      throttle.clear(acctKey);
      if (ipBefore) throttle.put(ipBefore);
      else throttle.clear(ipKey);
      if (user.status !== 'active') {
        audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', outcome: 'failure', ip: meta.ip, details: { reason: 'deactivated' } });
        throw new AppError('forbidden', 'this account is deactivated; ask an admin');
      }
      const { token, session } = sessions.create(user.id, meta);
      audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', ip: meta.ip });
      return { user, token, session };
    },

    /** Lifts an account's lock (after an operator reset). */
    unlock: (email: string) => throttle.clear(`account:${email.trim().toLowerCase()}`),
  };
}

/** The login service. */
export type LoginService = ReturnType<typeof createLoginService>;
