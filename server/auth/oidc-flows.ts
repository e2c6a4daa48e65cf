import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../kernel/secrets.ts';

/** What a sign-in remembers between the redirect to the provider and its return. */
export interface PendingFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after signing in (already checked to stay on this site). */
  next: string;
  expiresAt: number;
}

/** Minutes a sign-in may take at the provider. */
export const FLOW_MINUTES = 10;
// Enough for every user of a large site starting at once; beyond it the oldest are forgotten.
const MAX_FLOWS = 10_000;

/**
 * Sign-ins in progress, in memory. The browser holds a random flow id in a
 * cookie scoped to /auth/oidc; the server keeps only its hash, with the
 * state, nonce and PKCE verifier, so the callback is bound to the browser
 * that started it. A restart forgets them: the user simply starts again.
 */
export function createFlows(clock: () => number) {
  const flows = new Map<string, PendingFlow>();
  const sweep = () => {
    const now = clock();
    for (const [k, f] of flows) if (f.expiresAt <= now) flows.delete(k);
    while (flows.size >= MAX_FLOWS) flows.delete(flows.keys().next().value!);
  };
  return {
    /** Remembers a flow; returns the id for the browser's cookie. */
    start(flow: Omit<PendingFlow, 'expiresAt'>): string {
      sweep();
      const id = randomBytes(32).toString('base64url');
      flows.set(sha256Hex(id), { ...flow, expiresAt: clock() + FLOW_MINUTES * 60_000 });
      return id;
    },
    /** Takes a flow by its id, once; undefined when unknown or expired. */
    take(id: string | undefined): PendingFlow | undefined {
      if (!id || id.length > 100) return undefined;
      const key = sha256Hex(id);
      const flow = flows.get(key);
      flows.delete(key);
      return flow && flow.expiresAt > clock() ? flow : undefined;
    },
  };
}
