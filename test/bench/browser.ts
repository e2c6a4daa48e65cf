import { randomBytes } from 'node:crypto';
import { closeBrowser, launchChromium } from '../../browser/chromium.ts';
import { fetchPage, type FetchLimits } from '../../browser/fetch-page.ts';
import { parseAllowList } from '../../browser/guard/allow-list.ts';
import { Guard } from '../../browser/guard/guard.ts';
import { startGuardProxy } from '../../browser/guard/proxy.ts';
import { PinnedResolver, systemResolver } from '../../browser/guard/resolver.ts';
import type { BrowserPool } from '../../browser/pool.ts';
import { startBrowser } from '../../browser/start.ts';
import { createLogger } from '../../server/kernel/log.ts';
import { startSite } from '../fixtures/web/site.ts';
import { median, percentile } from './lib.ts';

const CHROME = '/usr/bin/chromium';
const SEQUENTIAL = 30; // pooled fetches timed one after another
const LAUNCHED = 10; // fetches that each launch their own Chromium
const LOAD = 60; // fetches for the throughput figure
const LOAD_CONCURRENCY = 12; // callers at once (BROWSER_SESSION_MAX_COUNT's default)

const fmt = (ms: number) => ms.toFixed(0);

/**
 * Browser sidecar: one page (the article of the test site, on loopback)
 * fetched through the warm pool versus through a Chromium launched for that
 * fetch alone, then fetches per second through the sidecar's HTTP API with
 * pool 6 and 12 callers. Everything stays on loopback.
 */
export async function benchBrowser(): Promise<Record<string, string>> {
  const log = createLogger({ level: 'silent', secrets: [] });
  const site = await startSite('127.0.0.2');
  const page = `${site.url}/article`;
  const limits: FetchLimits = { waitMs: 0, timeoutMs: 30_000, maxRedirects: 5, maxBytes: 10 * 1024 * 1024 };
  const token = randomBytes(32).toString('base64url');
  const sidecar = await startBrowser(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      BROWSER_SERVICE_AUTH_TOKEN: token,
      BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: '127.0.0.2',
      BROWSER_SERVICE_FETCH_WAIT_SECONDS: '0',
      LOG_LEVEL: 'silent',
    },
    { log, version: 'bench' },
  );
  try {
    const call = async () => {
      const res = await fetch(`${sidecar.url}/fetch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: page }),
      });
      if (res.status !== 200) throw new Error(`fetch answered ${res.status}: ${await res.text()}`);
      await res.json();
    };

    // Pooled, one at a time (after one warm-up fetch).
    await call();
    const pooled: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now();
      await call();
      pooled.push(performance.now() - t0);
    }

    // A Chromium per fetch: the same fetch code, handed a browser launched for it.
    const guard = new Guard({ allow: parseAllowList('127.0.0.2'), noExternalEgress: false, resolver: new PinnedResolver(systemResolver) });
    const proxy = await startGuardProxy(guard, log);
    const launched: number[] = [];
    try {
      for (let i = 0; i < LAUNCHED; i++) {
        const t0 = performance.now();
        const browser = await launchChromium({ chromePath: CHROME, proxyUrl: proxy.url, log });
        const once = { acquire: async () => ({ browser, release: () => {} }) } as unknown as BrowserPool;
        await fetchPage({ guard, pool: once, limits, log }, { url: page });
        launched.push(performance.now() - t0);
        await closeBrowser(browser);
      }
    } finally {
      await proxy.close();
    }

    // Throughput at pool 6 through the HTTP API.
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: LOAD_CONCURRENCY }, async () => {
        while (next < LOAD) {
          next++;
          await call();
        }
      }),
    );
    const perSecond = LOAD / ((performance.now() - t0) / 1000);

    return {
      'pooled fetch latency, median / p95 (ms)': `${fmt(median(pooled))} / ${fmt(percentile(pooled, 95))}`,
      'browser launched per fetch, median / p95 (ms)': `${fmt(median(launched))} / ${fmt(percentile(launched, 95))}`,
      'launch-per-fetch / pooled latency ratio (median)': (median(launched) / median(pooled)).toFixed(1),
      [`fetches/s at pool 6, ${LOAD_CONCURRENCY} callers, ${LOAD} fetches`]: perSecond.toFixed(1),
    };
  } finally {
    await sidecar.stop();
    await site.close();
  }
}
