import type { Browser } from 'puppeteer-core';
import type { Log } from '../server/kernel/log.ts';
import { closeBrowser, killBrowser } from './chromium.ts';

/** One running browser of a {@link Fleet}, with its lease counts (kept by the pool). */
export interface Member {
  readonly browser: Browser;
  active: number;
  uses: number;
  /** Takes no more leases; closed once its leases are back. */
  retiring: boolean;
  /** Out of the fleet: crashed, killed, retired or closed. */
  gone: boolean;
}

/** Options for {@link Fleet}. */
export interface FleetOptions {
  size: number;
  launch: () => Promise<Browser>;
  log: Log;
  /** Called when a browser joins, so waiting callers can be served. */
  onJoin: () => void;
}

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Keeps `size` browsers running: replaces one that exits, is killed or is
 * retired, and retries failed launches with a capped exponential backoff.
 * A retired browser counts towards `size` until its process has closed.
 */
export class Fleet {
  /** The browsers in service, retiring ones included. */
  readonly members = new Set<Member>();
  launched = 0;
  replaced = 0;
  /** Launches under way. */
  launching = 0;
  private retiringCount = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: FleetOptions) {}

  /** Launches one browser; resolves false (after logging why, and scheduling a retry) when it fails. */
  spawn(): Promise<boolean> {
    this.launching++;
    const attempt = this.opts.launch().then(
      (browser) => {
        this.launching--;
        if (this.closed) return closeBrowser(browser).then(() => false);
        this.failures = 0;
        this.join(browser);
        return true;
      },
      (err: unknown) => {
        this.launching--;
        this.failures++;
        this.opts.log.error({ err, failures: this.failures }, 'could not start a browser; retrying');
        this.scheduleRetry();
        return false;
      },
    );
    this.track(attempt);
    return attempt;
  }

  /** Drops a browser that went away on its own (crash, kill -9, lost connection) and replaces it. */
  lost(member: Member): void {
    if (member.gone) return;
    this.opts.log.warn({ pid: member.browser.process()?.pid, leases: member.active }, 'a browser exited unexpectedly; replacing it');
    this.drop(member);
    // Sweeps renderers and helpers the main process may have left behind.
    killBrowser(member.browser);
  }

  /** Kills a browser found hung or unusable, and replaces it. */
  kill(member: Member): void {
    if (member.gone) return;
    this.opts.log.warn({ pid: member.browser.process()?.pid }, 'a fetch found its browser unusable; killing and replacing it');
    this.drop(member);
    killBrowser(member.browser);
  }

  /** Closes a browser that has served its last lease; its replacement starts once it has closed. */
  retire(member: Member): void {
    if (member.gone) return;
    this.opts.log.debug({ pid: member.browser.process()?.pid, uses: member.uses }, 'retiring a browser after its last lease');
    this.retiringCount++;
    this.drop(member);
    const closing = closeBrowser(member.browser).finally(() => {
      this.retiringCount--;
      this.fill();
    });
    this.track(closing);
  }

  /** Stops relaunching and closes every browser, waiting for launches and closes under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const members = [...this.members];
    this.members.clear();
    for (const member of members) member.gone = true;
    await Promise.all([...members.map((m) => closeBrowser(m.browser)), ...this.inFlight]);
  }

  private join(browser: Browser): void {
    const member: Member = { browser, active: 0, uses: 0, retiring: false, gone: false };
    this.members.add(member);
    this.launched++;
    browser.once('disconnected', () => this.lost(member));
    browser.process()?.once('exit', () => this.lost(member));
    if (!browser.connected) return this.lost(member);
    this.opts.onJoin();
  }

  private drop(member: Member): void {
    member.gone = true;
    this.members.delete(member);
    if (this.closed) return;
    this.replaced++;
    this.fill();
  }

  private fill(): void {
    if (this.closed || this.retryTimer) return;
    // Fire and forget: spawn's promise is tracked, which logs any failure.
    while (this.members.size + this.launching + this.retiringCount < this.opts.size) void this.spawn();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.fill();
    }, delay);
  }

  // Remembers work close() must wait for; a failure is logged, never thrown into nowhere.
  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      (err: unknown) => this.opts.log.error({ err }, 'browser housekeeping failed'),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }
}
