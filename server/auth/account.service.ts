import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { KeyService } from './keys.service.ts';
import type { LoginService } from './login.service.ts';
import type { OneTimeLinks } from './one-time-links.service.ts';
import { checkPasswordPolicy, hashPassword } from './password.ts';
import type { SessionService } from './sessions.service.ts';
import type { UsersStore } from './users.store.ts';
import type { User } from './identity.types.ts';
import { publicUser, type UserView } from './identity.views.ts';

/** What replacing a password took away. */
export interface PasswordReplaced {
  sessionsRevoked: number;
  keysRevoked: number;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** What using a reset link will do, said before it is used (admin page, reset form, CLI). */
export function describeReset(activeKeys: number): string {
  return `Setting the new password signs out every session of the account and revokes its API keys (${activeKeys} active).`;
}

/** What replacing a password did, said after it (profile, sign-in page). */
export function describeReplaced(r: PasswordReplaced): string {
  return `${plural(r.sessionsRevoked, 'session')} signed out and ${plural(r.keysRevoked, 'API key')} revoked.`;
}

/** What a user does to their own account: passwords, and redeeming invite or reset links. */
export function createAccountService(deps: {
  users: UsersStore;
  sessions: SessionService;
  keys: KeyService;
  links: OneTimeLinks;
  login: LoginService;
  audit: AuditService;
  clock: Clock;
}) {
  const { users, sessions, keys, links, login, audit, clock } = deps;
  const ownerOf = (kind: 'invite' | 'reset', token: string): User | undefined => {
    const row = links.peek(kind, token);
    return row ? users.byId(row.userId) : undefined;
  };

  // The new hash, the revoked sessions and API keys and the audit entry are one
  // transaction: a password replaced because it leaked leaves no key or session
  // of the old one working, and no entry is lost.
  const replacePassword = (
    user: Pick<User, 'id'>,
    passwordHash: string,
    event: { actor: Actor; action: string; ip?: string | undefined },
    o: { keepSessionId?: string | undefined; first?: () => void } = {},
  ): PasswordReplaced =>
    users.transaction(() => {
      o.first?.();
      users.update(user.id, { passwordHash, passwordChangedAt: new Date(clock()) });
      const replaced = { sessionsRevoked: sessions.revokeAll(user.id, o.keepSessionId), keysRevoked: keys.revokeAll(user.id) };
      audit.record({ ...event, target: user.id, details: { ...replaced } });
      return replaced;
    });

  return {
    /**
     * Changes the password after checking the current one (throttled and
     * audited like a sign-in); every other session and every API key of the
     * user is revoked.
     */
    async changePassword(
      user: Pick<User, 'id' | 'email'>,
      current: string,
      next: string,
      keepSessionId: string | undefined,
      ip?: string,
    ): Promise<PasswordReplaced> {
      await login.checkPassword(user.email, current, ip, 'user.password_change');
      checkPasswordPolicy(next, user.email);
      const hash = await hashPassword(next);
      return replacePassword(user, hash, { actor: { id: user.id, label: user.email }, action: 'user.password_change', ip }, { keepSessionId });
    },

    /** Shows whose link this is, without using it. */
    linkOwner(kind: 'invite' | 'reset', token: string): UserView | undefined {
      const owner = ownerOf(kind, token);
      return owner ? publicUser(owner) : undefined;
    },

    /**
     * Sets a password through an invite or reset link: every session and API
     * key of the account is revoked, and its sign-in waits are lifted.
     */
    async redeemLink(kind: 'invite' | 'reset', token: string, password: string, ip?: string): Promise<{ user: UserView } & PasswordReplaced> {
      const owner = ownerOf(kind, token);
      if (!owner) throw new AppError('token_invalid', 'this link is invalid, expired or already used; ask an admin for a new one');
      checkPasswordPolicy(password, owner.email);
      const hash = await hashPassword(password);
      const event = { actor: { id: owner.id, label: owner.email }, action: kind === 'invite' ? 'user.invite_accepted' : 'user.password_reset', ip };
      // The link is used inside the transaction: of two concurrent redemptions only one writes.
      const replaced = replacePassword(owner, hash, event, {
        first: () => {
          links.consume(kind, token);
          login.unlock(owner.email);
        },
      });
      return { user: publicUser(users.byId(owner.id)!), ...replaced };
    },
  };
}

/** The account service. */
export type AccountService = ReturnType<typeof createAccountService>;
