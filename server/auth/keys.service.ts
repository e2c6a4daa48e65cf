import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { OPEN_FEATURES, type FeatureGate } from '../kernel/features.ts';
import { digestMatches, sha256Hex } from '../kernel/secrets.ts';
import type { KeysStore } from './keys.store.ts';
import { toCallerUser, type CallerUser } from './caller.types.ts';
import type { UsersStore } from './users.store.ts';
import type { User } from './identity.types.ts';
import { publicKey, type KeyView } from './identity.views.ts';

const KEY_RE = /^(osk_[A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const TOUCH_EVERY_MS = 60_000;

const alnum = (n: number) => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => chars[b % 62]).join('');
};

/**
 * Per-user API keys `osk_<prefix>_<secret>`: 256 random bits, shown once;
 * the database keeps the visible prefix and a SHA-256 of the whole key.
 */
export function createKeyService(deps: { keys: KeysStore; users: UsersStore; audit: AuditService; clock: Clock; features?: FeatureGate | undefined }) {
  const { keys, users, audit, clock } = deps;
  const features = deps.features ?? OPEN_FEATURES;
  return {
    /** Whether a user's groups may use API keys at all. */
    allowed: (userId: string): boolean => features.allows(userId, 'api_keys'),

    create(user: Pick<User, 'id' | 'email'>, name: string, ip?: string): { key: string; record: KeyView } {
      if (!features.allows(user.id, 'api_keys')) throw new AppError('feature_not_allowed', 'your groups may not use API keys; ask an admin');
      const prefix = `osk_${alnum(12)}`;
      const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
      const record = keys.insert({ id: randomUUID(), userId: user.id, name, prefix, keyHash: sha256Hex(key), createdAt: new Date(clock()) });
      audit.record({ actor: { id: user.id, label: user.email }, action: 'key.create', target: record.id, ip, details: { prefix, name } });
      return { key, record: publicKey(record) };
    },

    /** The keys of a user, as views. */
    list: (userId: string): KeyView[] => keys.forUser(userId).map(publicKey),
    /** How many keys of a user still work (what a password change or reset would revoke). */
    activeCount: (userId: string) => keys.forUser(userId).filter((k) => !k.revokedAt).length,
    /** Revokes every key of a user, without an audit entry of its own: the caller's entry names the count. */
    revokeAll: (userId: string) => keys.revokeAllForUser(userId, new Date(clock())),

    revoke(user: Pick<User, 'id' | 'email'>, id: string, ip?: string): KeyView {
      const record = keys.revoke(id, user.id, new Date(clock()));
      if (!record) throw new AppError('not_found', 'no such active key');
      audit.record({ actor: { id: user.id, label: user.email }, action: 'key.revoke', target: id, ip, details: { prefix: record.prefix } });
      return publicKey(record);
    },

    /** Resolves a bearer key to its active user, or undefined. */
    authenticate(presented: string | undefined): { user: CallerUser; keyId: string } | undefined {
      const m = presented ? KEY_RE.exec(presented) : null;
      if (!m) return undefined;
      const record = keys.byPrefix(m[1]!);
      if (!record || record.revokedAt || !digestMatches(presented!, record.keyHash)) return undefined;
      const user = users.byId(record.userId);
      if (!user || user.status !== 'active') return undefined;
      // A user taken out of the groups that may use keys: their keys stop working at the next request.
      if (!features.allows(user.id, 'api_keys')) return undefined;
      const now = clock();
      if (!record.lastUsedAt || now - record.lastUsedAt.getTime() >= TOUCH_EVERY_MS) keys.touch(record.id, new Date(now));
      return { user: toCallerUser(user), keyId: record.id };
    },
  };
}

/** The API key service. */
export type KeyService = ReturnType<typeof createKeyService>;
