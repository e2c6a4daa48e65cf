import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import type { LoginService } from './login-service.ts';
import type { OneTimeLinks } from './one-time-links.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './password.ts';
import type { SessionService } from './session-service.ts';
import type { User, UsersStore } from './users-store.ts';

/** What a user does to their own account: passwords, and redeeming invite or reset links. */
export function createAccountService(deps: {
  users: UsersStore;
  sessions: SessionService;
  links: OneTimeLinks;
  login: LoginService;
  audit: AuditService;
  clock: Clock;
}) {
  const { users, sessions, links, login, audit, clock } = deps;

  const setPassword = async (user: User, password: string) => {
    checkPasswordPolicy(password, user.email);
    const now = new Date(clock());
    users.update(user.id, { passwordHash: await hashPassword(password), passwordChangedAt: now });
  };

  return {
    /** Changes the password after checking the current one; every other session is revoked. */
    async changePassword(user: User, current: string, next: string, keepSessionId: string | undefined, ip?: string): Promise<void> {
      if (!(await verifyPassword(current, user.passwordHash))) throw new AppError('invalid_credentials', 'the current password is not correct');
      await setPassword(user, next);
      const revoked = sessions.revokeAll(user.id, keepSessionId);
      audit.record({ actor: { id: user.id, label: user.email }, action: 'user.password_change', target: user.id, ip, details: { sessionsRevoked: revoked } });
    },

    /** Shows whose link this is, without using it. */
    linkOwner(kind: 'invite' | 'reset', token: string): User | undefined {
      const row = links.peek(kind, token);
      return row ? users.byId(row.userId) : undefined;
    },

    /** Sets a password through an invite or reset link; a reset revokes every session and lifts a lock. */
    async redeemLink(kind: 'invite' | 'reset', token: string, password: string, ip?: string): Promise<User> {
      const owner = this.linkOwner(kind, token);
      if (!owner) throw new AppError('token_invalid', 'this link is invalid, expired or already used; ask an admin for a new one');
      checkPasswordPolicy(password, owner.email);
      const row = links.consume(kind, token);
      const user = users.byId(row.userId)!;
      await setPassword(user, password);
      sessions.revokeAll(user.id);
      login.unlock(user.email);
      audit.record({ actor: { id: user.id, label: user.email }, action: kind === 'invite' ? 'user.invite_accepted' : 'user.password_reset', target: user.id, ip });
      return user;
    },
  };
}

/** The account service. */
export type AccountService = ReturnType<typeof createAccountService>;
