import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError, isAppError } from '../kernel/errors.ts';
import { decideGroups, type GroupRules } from './group-rules.ts';
import type { IdentitiesStore } from './identities.store.ts';
import type { User, UserIdentity } from './identity.types.ts';
import { publicUser, type UserView } from './identity.views.ts';
import type { LoginMeta } from './login.service.ts';
import type { CallerSession } from './caller.types.ts';
import type { SessionService } from './sessions.service.ts';
import { UNLIMITED_SEATS, type SeatPolicy } from './users.service.ts';
import type { UsersStore } from './users.store.ts';

/** Who a directory (an OpenID provider or LDAP) says the user is; every field came from outside. */
export interface ExternalProfile {
  provider: UserIdentity['provider'];
  /** OIDC: the `iss`; LDAP: the directory's URL and user base. */
  issuer: string;
  /** OIDC: the `sub`; LDAP: the entry's stable id (entryUUID, objectGUID) or DN. */
  subject: string;
  email?: string | undefined;
  name?: string | undefined;
  groups: readonly string[];
  /** The directory's own name for the user, for admins to read (preferred username, DN). */
  label?: string | undefined;
}

/** Keeps the groups synced from a directory in line with what it reports for a user (the groups feature). */
export interface GroupSync {
  syncMemberships(userId: string, directory: UserIdentity['provider'], directoryGroups: readonly string[]): void;
}

/** A directory sign-in's result: the account, and a new session. */
export interface DirectorySignIn {
  user: UserView;
  token: string;
  session: CallerSession;
  /** True when this sign-in created the account. */
  created: boolean;
}

/** A linked identity as admins see it. */
export interface IdentityView {
  id: string;
  provider: UserIdentity['provider'];
  issuer: string;
  subject: string;
  label: string | null;
  groups: string[];
  createdAt: Date;
  lastSignInAt: Date | null;
}

const viewOf = (i: UserIdentity): IdentityView => ({
  id: i.id,
  provider: i.provider,
  issuer: i.issuer,
  subject: i.subject,
  label: i.label,
  groups: i.groups ?? [],
  createdAt: i.createdAt,
  lastSignInAt: i.lastSignInAt,
});

const emailSchema = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
const MAX_GROUPS = 500;

const actorOf = (p: ExternalProfile): Actor => ({ label: (p.email ?? p.label ?? `${p.provider}:${p.subject}`).slice(0, 200) });

/**
 * Accounts of directory users: found by (provider, issuer, subject), never
 * by email alone; created at the first sign-in within the license's seats;
 * their role follows the directory's groups at every sign-in; refused, with
 * their sessions ended, once they are outside the allowed groups.
 */
export function createDirectoryAccounts(deps: {
  users: UsersStore;
  identities: IdentitiesStore;
  sessions: SessionService;
  audit: AuditService;
  clock: Clock;
  seats?: SeatPolicy | undefined;
  /** Minutes a directory session lasts before the directory is asked again (SSO_RECHECK_MINUTES). */
  recheckMinutes: number;
  groupSync?: GroupSync | undefined;
}) {
  const { users, identities, sessions, audit, clock, recheckMinutes, groupSync } = deps;
  const seats = deps.seats ?? UNLIMITED_SEATS;

  const refuse = (p: ExternalProfile, meta: LoginMeta, reason: string, err: AppError, extra: Record<string, unknown> = {}): never => {
    audit.record({ actor: actorOf(p), action: 'auth.sso_login', outcome: 'failure', ip: meta.ip, details: { provider: p.provider, reason, ...extra } });
    throw err;
  };

  // The account of an identity seen before: its groups and role brought up to date.
  function returning(linked: UserIdentity, p: ExternalProfile, groups: string[], role: User['role'], meta: LoginMeta): User {
    return users.transaction(() => {
      const user = users.byId(linked.userId)!;
      if (user.status !== 'active') refuse(p, meta, 'deactivated', new AppError('forbidden', 'this account is deactivated; ask an admin'), { userId: user.id });
      identities.update(linked.id, { groups, label: p.label ?? linked.label, lastSignInAt: new Date(clock()) });
      if (user.role === role) return user;
      if (user.role === 'admin' && users.countActiveAdmins(user.id) === 0) {
        // The directory would demote the last admin: keep them (someone must be able to administer) and say so.
        audit.record({ actor: actorOf(p), action: 'user.role_from_groups', outcome: 'failure', target: user.id, details: { reason: 'last_admin', to: role } });
        return user;
      }
      const after = users.update(user.id, { role })!;
      audit.record({ actor: actorOf(p), action: 'user.role_from_groups', target: user.id, details: { provider: p.provider, from: user.role, to: role } });
      return after;
    });
  }

  // A first sign-in: a new account, unless its email belongs to an account no admin has linked.
  function firstSignIn(p: ExternalProfile, groups: string[], role: User['role'], meta: LoginMeta): User {
    const email = emailSchema.safeParse(p.email ?? '');
    if (!email.success)
      refuse(p, meta, 'no_email', new AppError('sso_failed', 'the directory gave no valid email address for this account, so no account can be made for it'));
    if (users.byEmail(email.data!)) {
      refuse(
        p,
        meta,
        'identity_unlinked',
        new AppError('identity_unlinked', 'an account with this email already exists but is not linked to this sign-in; ask an admin to link it'),
        { subject: p.subject.slice(0, 300), issuer: p.issuer },
      );
    }
    const now = new Date(clock());
    try {
      const user = users.transaction(() => {
        // Checked with the inserts, in one write transaction, as local accounts are.
        seats.assertCanAddSeat(users.countActive());
        const created = users.insert({
          id: randomUUID(),
          email: email.data!,
          name: (p.name?.trim() || email.data!).slice(0, 200),
          role,
          status: 'active',
          passwordHash: null,
          createdAt: now,
          updatedAt: now,
        });
        identities.insert({
          id: randomUUID(),
          userId: created.id,
          provider: p.provider,
          issuer: p.issuer,
          subject: p.subject,
          label: p.label ?? null,
          groups,
          createdAt: now,
          lastSignInAt: now,
        });
        return created;
      });
      audit.record({ actor: actorOf(p), action: 'user.jit_create', target: user.id, ip: meta.ip, details: { provider: p.provider, email: user.email, role } });
      return user;
    } catch (err) {
      if (isAppError(err, 'seats_exceeded')) refuse(p, meta, 'seats', err);
      if (/UNIQUE/.test((err as Error).message))
        refuse(p, meta, 'identity_unlinked', new AppError('identity_unlinked', 'an account with this email already exists; ask an admin to link it'));
      throw err;
    }
  }

  return {
    /**
     * Signs in a user the directory vouched for: applies the group rules,
     * finds or creates the account, and starts a session that ends after
     * `recheckMinutes`. Throws `sso_not_allowed` (outside the allowed
     * groups; their sessions end), `identity_unlinked`, `seats_exceeded`,
     * `forbidden` (deactivated) or `sso_failed`; each refusal is audited.
     */
    signIn(p: ExternalProfile, rules: GroupRules, meta: LoginMeta & { method: 'oidc' | 'ldap' }): DirectorySignIn {
      if (!p.subject || p.subject.length > 500 || p.issuer.length > 1000)
        refuse(p, meta, 'bad_subject', new AppError('sso_failed', 'the directory gave no usable subject'));
      const groups = [...new Set(p.groups.map((g) => g.slice(0, 500)))].slice(0, MAX_GROUPS);
      const linked = identities.find(p.provider, p.issuer, p.subject);
      const decision = decideGroups(groups, rules);
      if (!decision.allowed) {
        if (linked) {
          identities.update(linked.id, { groups });
          sessions.revokeAll(linked.userId);
        }
        refuse(
          p,
          meta,
          'not_in_allowed_groups',
          new AppError('sso_not_allowed', 'your directory account is not in a group allowed to use Onsite; ask your administrator'),
          linked ? { userId: linked.userId } : {},
        );
      }
      const role = decision.allowed ? decision.role : 'user';
      const created = !linked;
      const user = linked ? returning(linked, p, groups, role, meta) : firstSignIn(p, groups, role, meta);
      groupSync?.syncMemberships(user.id, p.provider, groups);
      const { token, session } = sessions.create(user.id, meta, { method: meta.method, recheckMinutes });
      audit.record({ actor: { id: user.id, label: user.email }, action: 'auth.login', ip: meta.ip, details: { method: meta.method } });
      return { user: publicUser(user), token, session, created };
    },

    /** The directory identities linked to an account. */
    identitiesOf: (userId: string): IdentityView[] => identities.forUser(userId).map(viewOf),

    /** The identities of one directory, for its sync. */
    identitiesOfIssuer: (provider: UserIdentity['provider'], issuer: string): IdentityView[] => identities.ofIssuer(provider, issuer).map(viewOf),

    /** True when some active admin can sign in through a directory (the condition for LOCAL_LOGIN=off). */
    hasDirectoryAdmin(): boolean {
      const linked = identities.linkedUserIds();
      return users.list().some((u) => u.role === 'admin' && u.status === 'active' && linked.has(u.id));
    },

    /**
     * Links an existing account to a directory identity: an explicit admin
     * action (a matching email alone never links). `conflict` when the
     * identity is already linked to an account.
     */
    link(userId: string, input: { provider: UserIdentity['provider']; issuer: string; subject: string }, actor: Actor, ip?: string): IdentityView {
      const user = users.byId(userId);
      if (!user) throw new AppError('not_found', 'no such user');
      if (identities.find(input.provider, input.issuer, input.subject)) throw new AppError('conflict', 'this identity is already linked to an account');
      const row = identities.insert({ id: randomUUID(), userId, ...input, createdAt: new Date(clock()) });
      audit.record({
        actor,
        action: 'user.identity_link',
        target: userId,
        ip,
        details: { provider: input.provider, issuer: input.issuer, subject: input.subject },
      });
      return viewOf(row);
    },

    /** Removes a link; the account stays. */
    unlink(userId: string, identityId: string, actor: Actor, ip?: string): void {
      const row = identities.byId(identityId);
      if (!row || row.userId !== userId) throw new AppError('not_found', 'no such identity on this account');
      identities.remove(identityId);
      audit.record({ actor, action: 'user.identity_unlink', target: userId, ip, details: { provider: row.provider, subject: row.subject } });
    },

    /**
     * Deactivates the account of an identity the directory no longer has (or
     * has disabled): its sessions end and its seat is freed. The last active
     * admin is kept (audited as a failure) so the appliance stays administrable.
     * Returns whether the account was deactivated.
     */
    deactivateFromDirectory(identityId: string, reason: 'removed' | 'disabled' | 'not_in_allowed_groups', actor: Actor): boolean {
      return users.transaction(() => {
        const row = identities.byId(identityId);
        const user = row && users.byId(row.userId);
        if (!row || !user || user.status !== 'active') return false;
        if (user.role === 'admin' && users.countActiveAdmins(user.id) === 0) {
          audit.record({
            actor,
            action: 'directory.sync_deactivate',
            outcome: 'failure',
            target: user.id,
            details: { reason: 'last_admin', directory: reason },
          });
          return false;
        }
        users.update(user.id, { status: 'deactivated' });
        sessions.revokeAll(user.id);
        identities.update(row.id, { lastSyncedAt: new Date(clock()) });
        audit.record({ actor, action: 'directory.sync_deactivate', target: user.id, details: { provider: row.provider, reason, email: user.email } });
        return true;
      });
    },

    /** Records that a sync found an identity still present, with its current groups. */
    markSynced(identityId: string, groups: readonly string[]): void {
      identities.update(identityId, { groups: [...groups], lastSyncedAt: new Date(clock()) });
      const row = identities.byId(identityId);
      if (row) groupSync?.syncMemberships(row.userId, row.provider, groups);
    },
  };
}

/** The directory accounts service. */
export type DirectoryAccounts = ReturnType<typeof createDirectoryAccounts>;
