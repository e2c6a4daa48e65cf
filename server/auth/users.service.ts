import { randomUUID } from 'node:crypto';
import type { AuditService, Actor } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { OneTimeLinks } from './one-time-links.service.ts';
import { checkPasswordPolicy, hashPassword } from './password.ts';
import type { SessionService } from './sessions.service.ts';
import type { UsersStore } from './users.store.ts';
import type { User } from './identity.types.ts';
import { publicUser, type UserView } from './identity.views.ts';

/** A new account: with a password, or without one to send an invite link. */
export interface CreateUserInput {
  email: string;
  name: string;
  role: User['role'];
  password?: string | undefined;
}

/** Changes an admin may make to an account. */
export interface UpdateUserInput {
  name?: string | undefined;
  role?: User['role'] | undefined;
  status?: User['status'] | undefined;
}

/**
 * The seat limit an account must fit before it becomes active (created or
 * reactivated): a port identity depends on and the license implements.
 */
export interface SeatPolicy {
  /** Throws `seats_exceeded` when `seatsUsed` active accounts leave no seat for one more. */
  assertCanAddSeat(seatsUsed: number): void;
}

/** No seat limit (identity on its own, without a license). */
export const UNLIMITED_SEATS: SeatPolicy = { assertCanAddSeat: () => undefined };

/** Account administration: create or invite, role and status changes, reset links. */
export function createUserService(deps: {
  users: UsersStore;
  sessions: SessionService;
  links: OneTimeLinks;
  audit: AuditService;
  clock: Clock;
  seats?: SeatPolicy;
  /** The ids of accounts with a confirmed second factor, for the views' `mfa`. */
  mfaEnabled?: () => ReadonlySet<string>;
}) {
  const { users, sessions, links, audit, clock } = deps;
  const mfaOf = (id: string) => deps.mfaEnabled?.().has(id) ?? false;
  const seats = deps.seats ?? UNLIMITED_SEATS;
  const guard = () => seats.assertCanAddSeat(users.countActive());

  const mustGet = (id: string): User => {
    const u = users.byId(id);
    if (!u) throw new AppError('not_found', 'no such user');
    return u;
  };

  return {
    /** Every account, as views (with whether each has MFA). */
    list: (): UserView[] => {
      const enabled = deps.mfaEnabled?.() ?? new Set<string>();
      return users.list().map((u) => publicUser(u, enabled.has(u.id)));
    },
    /** One account, as a view (with whether it has MFA); `not_found` when there is none. */
    get: (id: string): UserView => publicUser(mustGet(id), mfaOf(id)),
    /** Active accounts: the seats in use. */
    activeCount: () => users.countActive(),

    async create(input: CreateUserInput, actor: Actor, ip?: string): Promise<{ user: UserView; inviteUrl?: string }> {
      const email = input.email.trim().toLowerCase();
      if (users.byEmail(email)) throw new AppError('email_taken', 'an account with this email already exists');
      if (input.password !== undefined) checkPasswordPolicy(input.password, email);
      guard(); // early, clear refusal before the slow hash
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
      const now = new Date(clock());
      let user: User;
      try {
        // Seats are checked again with the insert, in one write transaction,
        // so concurrent creations cannot pass the limit together.
        user = users.transaction(() => {
          guard();
          return users.insert({
            id: randomUUID(),
            email,
            name: input.name,
            role: input.role,
            status: 'active',
            passwordHash,
            createdAt: now,
            updatedAt: now,
            passwordChangedAt: passwordHash ? now : null,
          });
        });
      } catch (err) {
        if (/UNIQUE/.test((err as Error).message)) throw new AppError('email_taken', 'an account with this email already exists');
        throw err;
      }
      const inviteUrl = passwordHash ? undefined : links.issue('invite', user.id, actor.id).url;
      audit.record({ actor, action: inviteUrl ? 'user.invite' : 'user.create', target: user.id, ip, details: { email, role: input.role } });
      return inviteUrl ? { user: publicUser(user), inviteUrl } : { user: publicUser(user) };
    },

    update(id: string, input: UpdateUserInput, actor: Actor, ip?: string): UserView {
      return users.transaction(() => {
        const before = mustGet(id);
        const losesAdmin = before.role === 'admin' && before.status === 'active' && (input.role === 'user' || input.status === 'deactivated');
        if (losesAdmin && users.countActiveAdmins(id) === 0) {
          throw new AppError('last_admin', 'this is the last active admin; make another admin first');
        }
        if (before.status === 'deactivated' && input.status === 'active') guard();
        const after = users.update(id, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.status !== undefined ? { status: input.status } : {}),
        })!;
        if (input.status === 'deactivated' && before.status !== 'deactivated') sessions.revokeAll(id);
        const changes: Record<string, unknown> = {};
        for (const k of ['name', 'role', 'status'] as const) if (before[k] !== after[k]) changes[k] = { from: before[k], to: after[k] };
        if (Object.keys(changes).length > 0) audit.record({ actor, action: 'user.update', target: id, ip, details: changes });
        return publicUser(after);
      });
    },

    /** A one-time link that lets the user set a new password. */
    resetLink(id: string, actor: Actor, ip?: string): { url: string; expiresAt: Date } {
      const user = mustGet(id);
      const link = links.issue('reset', user.id, actor.id);
      audit.record({ actor, action: 'user.reset_link', target: user.id, ip });
      return link;
    },
  };
}

/** The user administration service. */
export type UserService = ReturnType<typeof createUserService>;
