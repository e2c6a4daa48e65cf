import { isAppError } from '../kernel/errors.ts';
import type { CheckResult } from '../kernel/health.ts';
import type { BrowserHealth } from '../kernel/protocol/browser.ts';
import type { BrowserClient, BrowserClientStats } from './browser-client.service.ts';

/** What the server knows of the sidecar: the last probe (cached briefly) and its own slots now. */
export interface BrowserStatus {
  /** The sidecar answered and has at least one browser up. */
  ok: boolean;
  /** When not ok: `browser_unreachable`, `browser_token_refused`, `browser_down` or `egress_refused`. */
  reason?: string | undefined;
  message: string;
  /** The sidecar's own report, when it answered. */
  health?: BrowserHealth | undefined;
  /** The sidecar's address (origin only). */
  origin: string;
  /** When the probe ran (ms since the epoch). */
  checkedAt: number;
  /** This server's slots for page fetches. */
  client: BrowserClientStats;
}

/** How long a probe's answer is reused: readiness is polled often, the sidecar need not be. */
export const BROWSER_STATUS_TTL_MS = 5000;

function summary(h: BrowserHealth): string {
  const p = h.pool;
  return `${h.status}, ${p.alive}/${p.size} browsers up, ${p.active} fetching, ${p.waiting} waiting (version ${h.version})`;
}

/**
 * Watches the sidecar for `/health` and the admin system page. Probes at
 * most once per {@link BROWSER_STATUS_TTL_MS}; concurrent callers share one
 * probe. Never throws: an unusable sidecar is a status, not an error.
 */
export function createBrowserMonitor(client: Pick<BrowserClient, 'health' | 'stats' | 'origin'>, ttlMs = BROWSER_STATUS_TTL_MS) {
  let last: Omit<BrowserStatus, 'client'> | undefined;
  let probing: Promise<Omit<BrowserStatus, 'client'>> | undefined;

  async function probe(): Promise<Omit<BrowserStatus, 'client'>> {
    const checkedAt = Date.now();
    try {
      const health = await client.health();
      if (health.status === 'down') return { ok: false, reason: 'browser_down', message: summary(health), health, origin: client.origin, checkedAt };
      return { ok: true, message: summary(health), health, origin: client.origin, checkedAt };
    } catch (err) {
      const reason = isAppError(err) ? (typeof err.details?.reason === 'string' ? err.details.reason : err.code) : 'browser_unreachable';
      return { ok: false, reason, message: isAppError(err) ? err.message : 'the browser service could not be asked', origin: client.origin, checkedAt };
    }
  }

  async function status(): Promise<BrowserStatus> {
    // Real time, not the app's clock: this is about sparing the sidecar, not about business dates.
    if (!last || Date.now() - last.checkedAt >= ttlMs) {
      probing ??= probe().finally(() => (probing = undefined));
      last = await probing;
    }
    return { ...last, client: client.stats() };
  }

  return {
    status,
    /** The readiness check: the sidecar answers with a browser up (registered as non-critical). */
    async check(): Promise<CheckResult> {
      const s = await status();
      return s.ok ? { ok: true, message: s.message } : { ok: false, reason: s.reason, message: s.message };
    },
  };
}

/** The browser sidecar monitor. */
export type BrowserMonitor = ReturnType<typeof createBrowserMonitor>;
