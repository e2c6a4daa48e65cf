import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.ts';
import { secretsEqual, sha256Hex } from '../kernel/secrets.ts';
import { toCallerSession, toCallerUser, type CallerSession, type CallerUser } from './caller.types.ts';
import type { SessionsStore } from './sessions.store.ts';
import type { Session } from './identity.types.ts';
import type { UsersStore } from './users.store.ts';

/** Session limits from the configuration. */
export interface SessionPolicy {
  idleMinutes: number;
  maxHours: number;
  /** Key for deriving CSRF tokens (SESSION_SECRET). */
  secret: string;
}

/** A signed-in browser: the user and their session, without any hash. */
export interface SessionIdentity {
  user: CallerUser;
  session: CallerSession;
}

/**
 * How a session was signed in. Directory sessions (OIDC, LDAP) end after
 * `recheckMinutes`, so the directory's group rules are applied again at the
 * next sign-in: a user removed from the allowed groups loses access then.
 */
export interface SignInHow {
  method: Session['method'];
  recheckMinutes?: number | undefined;
}

// Writing last-seen on every request would turn every read into a write.
const TOUCH_EVERY_MS = 30_000;

/**
 * Browser sessions: an opaque random token in the cookie, its SHA-256 in
 * the database; idle and absolute expiry; revocation; CSRF tokens derived
 * from the session so they need no storage.
 */
export function createSessionService(deps: { sessions: SessionsStore; users: UsersStore; clock: Clock; policy: SessionPolicy }) {
  const { sessions, users, clock, policy } = deps;
  const idleMs = policy.idleMinutes * 60_000;

  const csrfFor = (session: Pick<Session, 'id'>) => createHmac('sha256', policy.secret).update(`csrf:${session.id}`).digest('base64url');

  return {
    /** Starts a session; returns the cookie token (shown to nobody else, stored nowhere). */
    create(
      userId: string,
      meta: { ip?: string | undefined; userAgent?: string | undefined },
      how: SignInHow = { method: 'password' },
    ): { token: string; session: CallerSession } {
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      const recheckAt = how.recheckMinutes ? now + how.recheckMinutes * 60_000 : undefined;
      const session = sessions.insert({
        id: randomUUID(),
        tokenHash: sha256Hex(token),
        userId,
        createdAt: new Date(now),
        lastSeenAt: new Date(now),
        expiresAt: new Date(Math.min(now + policy.maxHours * 3_600_000, recheckAt ?? Infinity)),
        ip: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 300) ?? null,
        method: how.method,
        recheckAt: recheckAt === undefined ? null : new Date(recheckAt),
      });
      return { token, session: toCallerSession(session) };
    },

    /** Resolves a cookie token to a live session of an active user, or undefined. */
    authenticate(token: string | undefined): SessionIdentity | undefined {
      if (!token || token.length > 200) return undefined;
      const session = sessions.byTokenHash(sha256Hex(token));
      const now = clock();
      if (!session || session.revokedAt) return undefined;
      if (session.expiresAt.getTime() <= now || session.lastSeenAt.getTime() + idleMs <= now) return undefined;
      const user = users.byId(session.userId);
      if (!user || user.status !== 'active') return undefined;
      if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
        sessions.touch(session.id, new Date(now));
        session.lastSeenAt = new Date(now);
      }
      return { user: toCallerUser(user), session: toCallerSession(session) };
    },

    /** The live sessions of a user, newest first, without their token hashes. */
    list: (userId: string): CallerSession[] =>
      sessions
        .activeForUser(userId, new Date(clock()))
        .filter((s) => s.lastSeenAt.getTime() + idleMs > clock())
        .map(toCallerSession),
    revoke: (id: string, userId: string) => sessions.revoke(id, userId, new Date(clock())),
    revokeAll: (userId: string, keepId?: string) => sessions.revokeAllForUser(userId, new Date(clock()), keepId),

    /** The CSRF token of a session, for forms and the `x-csrf-token` header. */
    csrfToken: csrfFor,
    verifyCsrf: (session: Pick<Session, 'id'>, token: string | undefined) => token !== undefined && secretsEqual(token, csrfFor(session)),
    /** Seconds a cookie should live: the session's absolute remaining lifetime. */
    cookieMaxAge: (session: Pick<Session, 'expiresAt'>) => Math.max(0, Math.floor((session.expiresAt.getTime() - clock()) / 1000)),
  };
}

/** The session service. */
export type SessionService = ReturnType<typeof createSessionService>;
