import type { MiddlewareHandler } from 'hono';
import { errorResponse } from '../errors.ts';
import type { AppEnv, Caller } from '../types.ts';

/** Lets signed-in callers through; others get 401. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('caller')) return errorResponse(c, 'unauthorized', 'sign in or send an API key');
  return next();
};

/** Lets admins through; others get 401 or 403. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (!caller) return errorResponse(c, 'unauthorized', 'sign in or send an API key');
  if (caller.user.role !== 'admin') return errorResponse(c, 'forbidden', 'this needs an admin');
  return next();
};

/**
 * Lets only signed-in browser sessions through: what a leaked API key must
 * not be able to do (make or revoke keys, change the password, see or end
 * sessions) answers 403 `session_required` to a key.
 */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (!caller) return errorResponse(c, 'unauthorized', 'sign in first');
  if (caller.via !== 'session') return errorResponse(c, 'session_required', 'this needs a signed-in browser session; an API key cannot do it');
  return next();
};

/** The caller of a guarded route. */
export function callerOf(c: { get(key: 'caller'): Caller | undefined }): Caller {
  const caller = c.get('caller');
  if (!caller) throw new Error('callerOf used on an unguarded route');
  return caller;
}

/** The audit actor for a caller. */
export function actorOf(caller: Caller) {
  return { id: caller.user.id, label: caller.user.email };
}
