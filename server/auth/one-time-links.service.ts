import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { sha256Hex } from '../kernel/secrets.ts';
import type { TokensStore } from './one-time-links.store.ts';
import type { OneTimeToken } from './identity.types.ts';

/** How long links stay valid. */
export const LINK_TTL_MS = { invite: 72 * 3_600_000, reset: 60 * 60_000 } as const;

/** Issues and redeems one-time invite and reset links; only hashes are stored. */
export function createOneTimeLinks(deps: { tokens: TokensStore; clock: Clock; baseUrl: string }) {
  const { tokens, clock, baseUrl } = deps;
  return {
    /** Creates a link, voiding older unused ones of the same kind for the user. */
    issue(kind: OneTimeToken['kind'], userId: string, createdBy: string | undefined): { url: string; expiresAt: Date } {
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      tokens.voidForUser(userId, kind, new Date(now));
      const expiresAt = new Date(now + LINK_TTL_MS[kind]);
      tokens.insert({ id: randomUUID(), tokenHash: sha256Hex(token), kind, userId, createdBy: createdBy ?? null, createdAt: new Date(now), expiresAt });
      return { url: new URL(`/${kind}/${token}`, baseUrl).toString(), expiresAt };
    },

    /** Looks a link up without using it (to show its form). */
    peek(kind: OneTimeToken['kind'], token: string): OneTimeToken | undefined {
      const row = tokens.byHash(sha256Hex(token));
      if (!row || row.kind !== kind || row.usedAt || row.expiresAt.getTime() <= clock()) return undefined;
      return row;
    },

    /** Uses a link once; throws `token_invalid` when unknown, used or expired. */
    consume(kind: OneTimeToken['kind'], token: string): OneTimeToken {
      const row = this.peek(kind, token);
      if (!row || !tokens.consume(row.id, new Date(clock()))) {
        throw new AppError('token_invalid', 'this link is invalid, expired or already used; ask an admin for a new one');
      }
      return row;
    },
  };
}

/** The one-time links helper. */
export type OneTimeLinks = ReturnType<typeof createOneTimeLinks>;
