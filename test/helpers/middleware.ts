import { Hono, type MiddlewareHandler } from 'hono';
import { toCallerSession, toCallerUser } from '../../server/auth/caller.types.ts';
import type { Session, User } from '../../server/auth/identity.types.ts';
import { errorResponse } from '../../server/http/errors.ts';
import type { AppEnv, Caller } from '../../server/http/types.ts';
import { isAppError } from '../../server/kernel/errors.ts';

/** A user row as the stores return it; only what a test names differs. */
export function fakeUser(overrides: Partial<User> = {}): User {
  const at = new Date('2026-06-01T12:00:00Z');
  return {
    id: 'u-1',
    email: 'ann@example.test',
    name: 'Ann',
    passwordHash: null,
    role: 'user',
    status: 'active',
    createdAt: at,
    updatedAt: at,
    passwordChangedAt: null,
    ...overrides,
  };
}

/** A live session row of `userId`. */
export function fakeSession(id: string, userId = 'u-1'): Session {
  const at = new Date('2026-06-01T12:00:00Z');
  return {
    id,
    tokenHash: `hash-${id}`,
    userId,
    createdAt: at,
    lastSeenAt: at,
    expiresAt: new Date(at.getTime() + 3_600_000),
    revokedAt: null,
    ip: null,
    userAgent: null,
    method: 'password',
    recheckAt: null,
  };
}

/** A caller signed in with a browser session (CSRF token `csrf-<session id>`). */
export function sessionCaller(user: User = fakeUser(), sessionId = 's-1'): Caller {
  return { via: 'session', user: toCallerUser(user), session: toCallerSession(fakeSession(sessionId, user.id)), csrfToken: `csrf-${sessionId}` };
}

/** A caller presenting an API key. */
export function keyCaller(user: User = fakeUser(), keyId = 'k-1'): Caller {
  return { via: 'key', user: toCallerUser(user), keyId };
}

/** Sets what the app's earlier middleware would have set (the caller, the client address). */
export function given(vars: { caller?: Caller; ip?: string }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (vars.caller) c.set('caller', vars.caller);
    if (vars.ip) c.set('ip', vars.ip);
    await next();
  };
}

/**
 * A bare app for one middleware: errors become the standard error body
 * (as the real app's onError does for an AppError), and anything else a
 * 500 the test will notice.
 */
export function tinyApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => (isAppError(err) ? errorResponse(c, err.code, err.message) : c.json({ error: { code: 'unexpected', message: String(err) } }, 500)));
  return app;
}

/** The stable code of an error response (`undefined` for any other body). */
export async function codeOfResponse(res: Response): Promise<string | undefined> {
  if (!res.headers.get('content-type')?.startsWith('application/json')) return undefined;
  return ((await res.clone().json()) as { error?: { code?: string } }).error?.code;
}

/** Node bindings with a socket peer, for in-process requests: getConnInfo reads the peer from them; no connection is made. */
export const socketPeer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
