import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { CallerSession, CallerUser } from './caller.types.ts';
import type { User } from './identity.types.ts';
import type { MfaStore } from './mfa.store.ts';
import type { MfaPolicy } from './mfa.types.ts';
import { newRecoveryCodes, normalizeCode, recoveryCodeHash } from './recovery-codes.ts';
import type { SessionService } from './sessions.service.ts';
import type { SignInThrottle } from './sign-in-throttle.service.ts';
import { base32Decode, base32Encode, otpauthUri, verifyTotp } from './totp.ts';
import type { UsersStore } from './users.store.ts';

/** A secret being enrolled: what the authenticator app is given. */
export interface Enrolment {
  /** The base32 secret, for typing in by hand. */
  secret: string;
  otpauthUri: string;
  /** The URI as a QR code, an SVG document. */
  qrSvg: string;
}

/** Where a user stands with their second factor. */
export interface MfaStatus {
  /** A confirmed factor: sign-in asks for a code. */
  enabled: boolean;
  /** An enrolment started and not yet confirmed. */
  pending: boolean;
  confirmedAt: Date | null;
  recoveryCodesLeft: number;
  /** The policy (MFA_REQUIRED) requires a factor of this account. */
  required: boolean;
}

/** What a code was checked for: the audit action of a wrong one. */
export type CodePurpose = 'auth.login' | 'mfa.disable' | 'mfa.recovery_codes';

const SECRET_BYTES = 20; // RFC 4226's recommended 160 bits, the HMAC-SHA-1 block it was made for

const secretName = (userId: string) => `auth.totp:${userId}`;
// Codes have a counter of their own in the sign-in throttle: a right password clears the
// password's counter, and must not give whoever knows it fresh guesses at the code.
const throttleAccount = (email: string) => `mfa:${email}`;

/**
 * TOTP second factors of local accounts: enrolment with a confirmation
 * code, one-time recovery codes (stored hashed), code checks with replay
 * protection under the sign-in throttle, the user's own disable and an
 * admin's reset. The secret is sealed with the stored-secrets service, so
 * key rotation re-seals it.
 */
export function createMfaService(deps: {
  store: MfaStore;
  users: UsersStore;
  secrets: Pick<SecretsService, 'get' | 'put' | 'remove'>;
  sessions: SessionService;
  throttle: SignInThrottle;
  audit: AuditService;
  clock: Clock;
  policy: MfaPolicy;
}) {
  const { store, users, secrets, sessions, throttle, audit, clock, policy } = deps;
  const actorOf = (u: Pick<User, 'id' | 'email'>): Actor => ({ id: u.id, label: u.email });
  const required = (role: User['role']) => policy === 'all' || (policy === 'admins' && role === 'admin');

  const secretOf = (userId: string): Buffer => {
    const text = secrets.get(secretName(userId));
    if (!text) throw new AppError('mfa_state', 'this account has no authenticator secret; set up two-step sign-in again');
    return base32Decode(text);
  };

  const enrolment = async (email: string, secret: string): Promise<Enrolment> => {
    const uri = otpauthUri(secret, email);
    return { secret, otpauthUri: uri, qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  };

  // New codes replace the old ones; only their hashes are kept, the codes are shown once.
  const issueRecoveryCodes = (userId: string): string[] => {
    const codes = newRecoveryCodes();
    store.replaceRecoveryCodes(
      userId,
      codes.map((c) => ({ id: randomUUID(), codeHash: recoveryCodeHash(c) })),
      new Date(clock()),
    );
    return codes;
  };

  // A six-digit code is a TOTP (accepted once per step); anything else is tried as a recovery code.
  const matches = (userId: string, code: string): 'totp' | 'recovery' | undefined => {
    const typed = normalizeCode(code);
    if (/^\d{6}$/.test(typed)) {
      const step = verifyTotp(secretOf(userId), typed, clock());
      return step !== undefined && store.advanceStep(userId, step) ? 'totp' : undefined;
    }
    return typed.length > 0 && typed.length <= 64 && store.useRecoveryCode(userId, recoveryCodeHash(typed), new Date(clock())) ? 'recovery' : undefined;
  };

  const mustBeEnabled = (userId: string) => {
    if (!store.isConfirmed(userId)) throw new AppError('mfa_state', 'two-step sign-in is not set up for this account');
  };

  const forget = (userId: string) => {
    store.removeFactor(userId);
    store.removeRecoveryCodes(userId);
    secrets.remove(secretName(userId));
  };

  /**
   * Checks a code (TOTP or recovery code) of a confirmed factor, counted
   * by the sign-in throttle like a password. A wrong one is audited as a
   * failure of `purpose` with reason `mfa_invalid`; throws `mfa_invalid` or
   * `too_many_attempts`. A recovery code used is audited.
   */
  const checkCode = (user: Pick<User, 'id' | 'email'>, code: string, ip: string | undefined, purpose: CodePurpose): 'totp' | 'recovery' => {
    const attempt = throttle.begin(throttleAccount(user.email), ip);
    const kind = matches(user.id, code);
    if (!kind) {
      audit.record({ actor: actorOf(user), action: purpose, outcome: 'failure', ip, details: { reason: 'mfa_invalid' } });
      for (const scope of attempt.limitsReached) {
        audit.record({ actor: { label: 'system' }, action: 'auth.lockout', target: scope === 'account' ? user.email : ip, ip, details: { scope } });
      }
      const wait = attempt.nextWaitS > 0 ? `; wait ${attempt.nextWaitS} s before the next try` : '';
      throw new AppError('mfa_invalid', `the code is wrong or was already used${wait}`);
    }
    throttle.succeeded(attempt);
    if (kind === 'recovery') {
      audit.record({ actor: actorOf(user), action: 'mfa.recovery_code_used', target: user.id, ip, details: { left: store.recoveryCodesLeft(user.id) } });
    }
    return kind;
  };

  return {
    /** True when MFA_REQUIRED covers accounts of this role. */
    required,
    /** True when the user has a confirmed factor. */
    enabled: (userId: string): boolean => store.isConfirmed(userId),
    /** The ids of every user with a confirmed factor. */
    enabledUserIds: (): Set<string> => store.confirmedUserIds(),

    /**
     * True when this session may only enrol: a local password session of an
     * account the policy covers that has no confirmed factor. Directory
     * sessions (LDAP, OIDC) are exempt: their second factor is the directory's.
     */
    enrolmentRequired: (user: Pick<CallerUser, 'id' | 'role'>, session: Pick<CallerSession, 'method'>): boolean =>
      session.method === 'password' && required(user.role) && !store.isConfirmed(user.id),

    status(user: Pick<User, 'id' | 'role'>): MfaStatus {
      const f = store.factor(user.id);
      return {
        enabled: Boolean(f?.confirmedAt),
        pending: Boolean(f && !f.confirmedAt),
        confirmedAt: f?.confirmedAt ?? null,
        recoveryCodesLeft: f?.confirmedAt ? store.recoveryCodesLeft(user.id) : 0,
        required: required(user.role),
      };
    },

    /** Starts (or restarts) an enrolment with a new secret; `mfa_state` when a factor is already confirmed. */
    async start(user: Pick<User, 'id' | 'email'>): Promise<Enrolment> {
      const secret = base32Encode(randomBytes(SECRET_BYTES));
      store.transaction(() => {
        if (store.isConfirmed(user.id)) throw new AppError('mfa_state', 'two-step sign-in is already on; turn it off first to enrol a new authenticator');
        store.putPending(user.id, new Date(clock()));
        secrets.put(secretName(user.id), secret);
      });
      return enrolment(user.email, secret);
    },

    /** The enrolment under way, shown again (the same secret), or undefined. */
    async pending(user: Pick<User, 'id' | 'email'>): Promise<Enrolment | undefined> {
      const f = store.factor(user.id);
      if (!f || f.confirmedAt) return undefined;
      const secret = secrets.get(secretName(user.id));
      return secret ? enrolment(user.email, secret) : undefined;
    },

    /**
     * Confirms the enrolment with a code from the app; returns the ten
     * recovery codes, shown this once. Audited as `mfa.enrol`.
     */
    confirm(user: Pick<User, 'id' | 'email'>, code: string, ip?: string): { recoveryCodes: string[] } {
      return store.transaction(() => {
        const f = store.factor(user.id);
        if (!f || f.confirmedAt) throw new AppError('mfa_state', 'no enrolment is under way; start one first');
        const step = verifyTotp(secretOf(user.id), normalizeCode(code), clock());
        if (step === undefined) throw new AppError('mfa_invalid', 'that code is not right; check the time on your device and type the code the app shows now');
        // The confirming code's step counts as used: it cannot sign in afterwards.
        store.confirm(user.id, new Date(clock()), step);
        const recoveryCodes = issueRecoveryCodes(user.id);
        audit.record({ actor: actorOf(user), action: 'mfa.enrol', target: user.id, ip });
        return { recoveryCodes };
      });
    },

    checkCode,

    /** New recovery codes after a current code; the old ones stop working. */
    regenerateRecoveryCodes(user: Pick<User, 'id' | 'email'>, code: string, ip?: string): { recoveryCodes: string[] } {
      mustBeEnabled(user.id);
      checkCode(user, code, ip, 'mfa.recovery_codes');
      return store.transaction(() => {
        const recoveryCodes = issueRecoveryCodes(user.id);
        audit.record({ actor: actorOf(user), action: 'mfa.recovery_codes', target: user.id, ip });
        return { recoveryCodes };
      });
    },

    /** The user turns their own factor off, with a current code; `mfa_state` when the policy requires one. */
    disable(user: Pick<User, 'id' | 'email' | 'role'>, code: string, ip?: string): void {
      if (required(user.role)) throw new AppError('mfa_state', `two-step sign-in is required for this account (MFA_REQUIRED=${policy}); an admin can reset it`);
      mustBeEnabled(user.id);
      checkCode(user, code, ip, 'mfa.disable');
      store.transaction(() => {
        forget(user.id);
        audit.record({ actor: actorOf(user), action: 'mfa.disable', target: user.id, ip });
      });
    },

    /**
     * An admin removes a user's factor (a lost phone): the factor, its
     * recovery codes and its sealed secret go, and every session of the user
     * is signed out, in one transaction with the `mfa.reset` entry.
     */
    reset(userId: string, actor: Actor, ip?: string): { sessionsRevoked: number } {
      return store.transaction(() => {
        const user = users.byId(userId);
        if (!user) throw new AppError('not_found', 'no such user');
        if (!store.factor(userId)) throw new AppError('mfa_state', `${user.email} has no two-step sign-in to reset`);
        forget(userId);
        throttle.unlock(throttleAccount(user.email));
        const sessionsRevoked = sessions.revokeAll(userId);
        audit.record({ actor, action: 'mfa.reset', target: userId, ip, details: { email: user.email, sessionsRevoked } });
        return { sessionsRevoked };
      });
    },
  };
}

/** The MFA service. */
export type MfaService = ReturnType<typeof createMfaService>;
