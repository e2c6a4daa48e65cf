import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createLogger, type Log } from '../server/kernel/log.ts';
import { launchChromium } from './chromium.ts';
import { loadBrowserConfig, TOKEN_KEY, type BrowserConfig, type Env } from './config.ts';
import { fetchPage } from './fetch-page.ts';
import { Guard } from './guard/guard.ts';
import { startGuardProxy } from './guard/proxy.ts';
import { PinnedResolver, serverResolver, systemResolver } from './guard/resolver.ts';
import { createBrowserApp } from './http.ts';
import { BrowserPool } from './pool.ts';

/** Options of {@link startBrowser}; all optional. */
export interface StartBrowserOptions {
  /** Logger to use instead of one built from LOG_LEVEL. */
  log?: Log;
  /** The product version reported by /health. */
  version?: string;
}

/** A running sidecar, for the CLI and for tests. */
export interface RunningBrowser {
  config: BrowserConfig;
  /** `http://<host>:<port>` as bound. */
  url: string;
  port: number;
  pool: BrowserPool;
  /** Connections the guard proxy refused and made (what interception could not see ends up here). */
  proxyStats(): { refused: number; connected: number };
  /** Stops accepting calls, closes every Chromium and the guard proxy. */
  stop(): Promise<void>;
}

/**
 * Starts the browser sidecar: validates the configuration, starts the guard
 * proxy, warms the pool of Chromium processes (all routed through the
 * proxy) and serves the API. Throws `config_invalid` for a bad configuration
 * and fails when no Chromium can start.
 */
export async function startBrowser(env: Env, options: StartBrowserOptions = {}): Promise<RunningBrowser> {
  const config = loadBrowserConfig(env);
  const log = (options.log ?? createLogger({ level: config.LOG_LEVEL, secrets: [config[TOKEN_KEY]] })).child({ module: 'browser' });
  const version = options.version ?? 'unknown';

  const resolve = config.dnsServers.length > 0 ? serverResolver(config.dnsServers) : systemResolver;
  const guard = new Guard({ allow: config.allow, noExternalEgress: config.NO_EXTERNAL_EGRESS, resolver: new PinnedResolver(resolve) });
  const proxy = await startGuardProxy(guard, log);
  const pool = new BrowserPool({
    size: config.BROWSER_SERVICE_POOL_SIZE,
    maxSessions: config.BROWSER_SESSION_MAX_COUNT,
    waitMs: config.BROWSER_SERVICE_POOL_WAIT_SECONDS * 1000,
    maxUses: config.BROWSER_SESSION_MAX_USES,
    launch: () => launchChromium({ chromePath: config.CHROME_PATH, proxyUrl: proxy.url, log }),
    log,
  });
  try {
    await pool.start();
  } catch (err) {
    await proxy.close();
    throw err;
  }

  const limits = {
    waitMs: config.BROWSER_SERVICE_FETCH_WAIT_SECONDS * 1000,
    timeoutMs: config.BROWSER_FETCH_TIMEOUT_SECONDS * 1000,
    maxRedirects: config.BROWSER_MAX_REDIRECTS,
    maxBytes: Math.round(config.BROWSER_MAX_PAGE_MB * 1024 * 1024),
  };
  const app = createBrowserApp(
    {
      fetch: (req) => fetchPage({ guard, pool, limits, log }, req),
      health: () => {
        const { status, ...figures } = pool.stats();
        return { status, version, pool: figures };
      },
    },
    config[TOKEN_KEY],
    log,
  );
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  log.info(
    {
      port,
      pool: config.BROWSER_SERVICE_POOL_SIZE,
      maxSessions: config.BROWSER_SESSION_MAX_COUNT,
      allowList: !config.allow.empty,
      noExternalEgress: config.NO_EXTERNAL_EGRESS,
    },
    'browser sidecar ready',
  );

  let stopping: Promise<void> | undefined;
  return {
    config,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    pool,
    proxyStats: () => ({ ...proxy.stats }),
    stop: () =>
      (stopping ??= (async () => {
        server.closeAllConnections?.();
        await new Promise<void>((r) => server.close(() => r()));
        await pool.close();
        await proxy.close();
        log.info('browser sidecar stopped');
      })()),
  };
}
