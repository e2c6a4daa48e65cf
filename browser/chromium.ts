import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { Log } from '../server/kernel/log.ts';

// Background services that ignore --disable-background-networking in
// Chromium 156 (sign-in's ListAccounts, on-demand component checks) are
// pointed at port 9, which Chromium itself refuses (ERR_UNSAFE_PORT) before
// any proxy or resolver is asked: nothing leaves, not even to our guard.
const DEAD_END = 'http://127.0.0.1:9';

// Each launched browser's profile removal, so that closing can wait for it.
const profileRemovals = new WeakMap<Browser, Promise<void>>();

/** Options for {@link launchChromium}. */
export interface ChromiumOptions {
  /** The Chromium executable (`/usr/bin/chromium` in the image). */
  chromePath: string;
  /** The guard proxy every request of every page goes through, e.g. `http://127.0.0.1:8931`. */
  proxyUrl: string;
  log?: Log;
}

/**
 * Flags that keep a headless Chromium quiet on the network: headless as root
 * in a container, and none of the browser's own traffic (on a closed network
 * it floods the log with refused connections, on an open one it phones home).
 * The UI tests launch their Chromium with these too.
 */
export const QUIET_CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--mute-audio',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  `--component-updater=url-source=${DEAD_END}/`,
  `--gaia-url=${DEAD_END}`,
  '--disable-quic',
];

/** The command-line flags {@link launchChromium} passes, for a proxy at `proxyUrl`. */
export function chromiumArgs(proxyUrl: string): string[] {
  const proxyHost = new URL(proxyUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  return [
    ...QUIET_CHROMIUM_FLAGS,
    // The guard proxy sees every request. QUIC (UDP, off above) would bypass
    // an HTTP proxy, and Chromium exempts loopback from proxies unless told not to.
    `--proxy-server=${proxyUrl}`,
    '--proxy-bypass-list=<-loopback>',
    // Chromium never resolves a name itself (the proxy does, and checks the
    // answers); only the proxy's own host is left alone so it can be reached.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${proxyHost}`,
    // No DNS over HTTPS either; and no network-time query (more phoning home).
    // puppeteer merges this list with its own --disable-features.
    '--disable-features=DnsOverHttps,NetworkTimeServiceQuerying',
    // WebRTC may otherwise send UDP straight to any address, past the proxy.
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  ];
}

/**
 * Launches a headless Chromium whose every request goes through the guard
 * proxy at `proxyUrl`, with a fresh profile folder that is removed when the
 * process exits. Signals are left to the caller (the sidecar closes its pool
 * on SIGTERM). Throws an Error naming the path when `chromePath` is missing.
 */
export async function launchChromium(opts: ChromiumOptions): Promise<Browser> {
  if (!existsSync(opts.chromePath)) {
    throw new Error(`Chromium not found at ${opts.chromePath}: install it (apt-get install chromium) or point CHROME_PATH at it`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'onsite-browser-'));
  const removeProfile = () =>
    rm(profile, { recursive: true, force: true, maxRetries: 3 }).catch((err: unknown) =>
      opts.log?.warn({ err, profile }, 'could not remove a Chromium profile folder'),
    );
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: opts.chromePath,
      headless: true,
      userDataDir: profile,
      args: chromiumArgs(opts.proxyUrl),
      // DevTools over a pipe: no debugging port on loopback for a page to
      // find, and Chromium exits by itself when the sidecar dies.
      pipe: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (err) {
    await removeProfile();
    throw new Error(`could not start Chromium at ${opts.chromePath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const child = browser.process();
  const removed =
    child && child.exitCode === null && child.signalCode === null
      ? new Promise<void>((resolve) => child.once('exit', () => void removeProfile().then(() => resolve())))
      : removeProfile().then(() => undefined);
  profileRemovals.set(browser, removed);
  opts.log?.debug({ pid: child?.pid, profile }, 'Chromium started');
  return browser;
}

/**
 * Kills a browser at once with SIGKILL: its whole process group (renderers,
 * GPU and network helpers included), since a hung browser answers nothing.
 */
export function killBrowser(browser: Browser): void {
  const child = browser.process();
  const pid = child?.pid;
  if (!pid) {
    void browser.close().catch(() => undefined);
    return;
  }
  try {
    // puppeteer starts Chromium as the leader of its own process group.
    process.kill(-pid, 'SIGKILL');
  } catch {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Closes a browser politely, kills its process group when it has not gone
 * within `graceMs`, and resolves once its main process has exited and its
 * profile folder is gone; helpers die of the same SIGKILL a moment later.
 */
export async function closeBrowser(browser: Browser, graceMs = 5_000): Promise<void> {
  const child = browser.process();
  const exited =
    child && child.exitCode === null && child.signalCode === null ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : undefined;
  await within(
    browser.close().catch(() => undefined),
    graceMs,
  );
  if (!child) return;
  // Also after a clean close: it sweeps helpers the main process left behind.
  killBrowser(browser);
  if (exited) await within(exited, graceMs);
  await within(profileRemovals.get(browser) ?? Promise.resolve(), graceMs);
}

// Waits for `promise`, or `ms` at most, leaving no timer behind.
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
