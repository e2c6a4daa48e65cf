import type { CallerSession } from './caller.types.ts';
import type { ApiKey, User } from './identity.types.ts';

/*
 * Accounts, API keys and sessions as the API returns them and the pages
 * render them: built here only, field by field from the rows, so a new
 * column (or a hash) never gets out by default.
 */

/** An account as routes and pages see it: whether it has a password, never the hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: User['role'];
  status: User['status'];
  createdAt: Date;
  hasPassword: boolean;
  /** Whether the account has a confirmed second factor; given where the caller looked it up (the user lists, `me`). */
  mfa?: boolean;
}

/** The public view of an account (no hash), with `mfa` when it is known. */
export function publicUser(u: User, mfa?: boolean): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.status,
    createdAt: u.createdAt,
    hasPassword: u.passwordHash !== null,
    ...(mfa !== undefined ? { mfa } : {}),
  };
}

/** A key as routes and pages see it: name, prefix and use, never the key or its hash. */
export type KeyView = Pick<ApiKey, 'id' | 'name' | 'prefix' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

/** The public view of a key: never the key or its hash. */
export function publicKey(k: ApiKey): KeyView {
  return { id: k.id, name: k.name, prefix: k.prefix, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt };
}

/** A session as the API lists it, marked when it is the caller's own. */
export function publicSession(s: CallerSession, currentId?: string) {
  return {
    id: s.id,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    ip: s.ip,
    userAgent: s.userAgent,
    method: s.method,
    current: s.id === currentId,
  };
}
