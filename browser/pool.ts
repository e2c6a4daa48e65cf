import type { Browser } from 'puppeteer-core';
import type { Log } from '../server/kernel/log.ts';
import type { BrowserHealth } from '../server/kernel/protocol/browser.ts';
import { AppError, type BrowserErrorCode } from '../server/kernel/errors.ts';
import { Fleet, type Member } from './fleet.ts';
import { WaitQueue } from './wait-queue.ts';

/** Options for {@link BrowserPool}. */
export interface PoolOptions {
  /** Chromium processes kept running (BROWSER_SERVICE_POOL_SIZE). */
  size: number;
  /** Leases out at once across all browsers (BROWSER_SESSION_MAX_COUNT). */
  maxSessions: number;
  /** How long a caller waits for a free session, in ms (BROWSER_SERVICE_POOL_WAIT_SECONDS). */
  waitMs: number;
  /** Leases a browser serves before it is retired and replaced. */
  maxUses: number;
  /** Starts one browser (`launchChromium` in the sidecar). */
  launch: () => Promise<Browser>;
  log: Log;
}

/** One fetch's hold on a pooled browser. */
export interface Lease {
  readonly browser: Browser;
  /**
   * Gives the session back; only the first call counts. `broken: true`
   * means the browser hung or misbehaved: its process is killed and replaced.
   */
  release(opts?: { broken?: boolean }): void;
}

/** The pool's figures, as `GET /health` reports them. */
export type PoolStats = BrowserHealth['pool'] & { status: BrowserHealth['status'] };

const shuttingDown = () => new AppError('browser_busy', 'the browser sidecar is shutting down; retry shortly');

/**
 * Keeps `size` headless browsers running and lends sessions on them: at most
 * `maxSessions` at once, each on the least-loaded browser, callers beyond
 * that waiting in order up to `waitMs`. Browsers that crash, are reported
 * broken or have served `maxUses` leases are replaced. A retiring browser
 * counts towards `size` until it has closed, so the pool never runs more
 * than `size` Chromium processes (a killed one may linger for a moment).
 */
export class BrowserPool {
  private readonly fleet: Fleet;
  private readonly queue: WaitQueue<Lease>;
  private active = 0;
  private served = 0;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    this.fleet = new Fleet({ size: opts.size, launch: opts.launch, log: opts.log, onJoin: () => this.dispatch() });
    this.queue = new WaitQueue(opts.waitMs, () => this.busyError());
  }

  /** Launches `size` browsers at once; fails only when none of them starts (the rest are retried). */
  async start(): Promise<void> {
    const started = await Promise.all(Array.from({ length: this.opts.size }, () => this.fleet.spawn()));
    if (started.some(Boolean)) return;
    await this.close();
    throw new Error(`none of the ${this.opts.size} browsers could start; see the log for why`);
  }

  /**
   * Lends a session on the least-loaded live browser, waiting in line up to
   * `waitMs` when none is free; rejects with a `browser_busy` {@link AppError}
   * then, or with the signal's reason when `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (this.closed) return Promise.reject(shuttingDown());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const lease = this.queue.size === 0 ? this.tryLease() : undefined;
    return lease ? Promise.resolve(lease) : this.queue.wait(signal);
  }

  /** The pool's figures: `alive` counts browsers taking new leases; `served`, leases handed out. */
  stats(): PoolStats {
    const alive = [...this.fleet.members].filter((m) => !m.retiring).length;
    const { size, maxSessions } = this.opts;
    const status = alive === 0 ? 'down' : alive < size ? 'degraded' : 'ok';
    const { launched, replaced } = this.fleet;
    return { status, size, alive, maxSessions, active: this.active, waiting: this.queue.size, launched, replaced, served: this.served };
  }

  /** Rejects every waiter and closes every browser; leaves no process or timer behind. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.rejectAll(shuttingDown());
    await this.fleet.close();
  }

  private busyError(): AppError<BrowserErrorCode> {
    const { maxSessions, waitMs } = this.opts;
    const details = { maxSessions, active: this.active, starting: this.fleet.launching };
    const message =
      this.active >= maxSessions
        ? `all ${maxSessions} browser sessions are busy (waited ${waitMs} ms); retry shortly or raise BROWSER_SESSION_MAX_COUNT`
        : `no browser is running yet (waited ${waitMs} ms, ${this.fleet.launching} starting); retry shortly`;
    return new AppError('browser_busy', message, details);
  }

  private tryLease(): Lease | undefined {
    if (this.active >= this.opts.maxSessions) return undefined;
    let best: Member | undefined;
    for (const member of this.fleet.members) {
      if (member.retiring) continue;
      // The process died but its events have not run yet.
      if (!member.browser.connected) {
        this.fleet.lost(member);
        continue;
      }
      if (!best || member.active < best.active) best = member;
    }
    return best && this.grant(best);
  }

  private grant(member: Member): Lease {
    member.active++;
    member.uses++;
    this.active++;
    this.served++;
    if (member.uses >= this.opts.maxUses) member.retiring = true;
    let released = false;
    return {
      browser: member.browser,
      release: (o = {}) => {
        if (released) return;
        released = true;
        member.active--;
        this.active--;
        if (o.broken) this.fleet.kill(member);
        else if (member.retiring && member.active === 0) this.fleet.retire(member);
        this.dispatch();
      },
    };
  }

  private dispatch(): void {
    while (this.queue.size > 0) {
      const lease = this.tryLease();
      if (!lease) return;
      this.queue.serve(lease);
    }
  }
}
