import type { Session, User } from './identity.types.ts';

/** The signed-in user as routes and pages see it: who they are, never a password hash. */
export interface CallerUser {
  id: string;
  email: string;
  name: string;
  role: User['role'];
  status: User['status'];
}

/** A browser session as routes and pages see it: never the cookie token's hash. */
export interface CallerSession {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** How it was signed in (local password, LDAP, OIDC): MFA applies to local password sessions. */
  method: Session['method'];
}

/** Picks the caller-safe fields of a user row (field by field, so a new column never leaks by default). */
export function toCallerUser(u: User): CallerUser {
  return { id: u.id, email: u.email, name: u.name, role: u.role, status: u.status };
}

/** Picks the caller-safe fields of a session row (no token hash). */
export function toCallerSession(s: Session): CallerSession {
  return { id: s.id, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, ip: s.ip, userAgent: s.userAgent, method: s.method };
}
