import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { loadConfig, secretValues, type Config, type Env } from '../config.ts';
import { lockDataDir } from '../db/data-lock.ts';
import { createLogger, type Log } from '../kernel/log.ts';
import { VERSION } from '../version.ts';
import { assembleServer, type AssembleOptions } from './assemble.ts';
import type { Command } from './command.ts';
import { withDevSecrets } from './dev-secrets.ts';
import { describeSecrets } from './secrets.ts';
import { untilSignal } from './until-signal.ts';

/** A running server, for tests and for the signal handlers. */
export interface RunningServer {
  config: Config;
  /** Bound HTTP port (useful with PORT=0). */
  port: number;
  /** Whether the first admin has been claimed (`onsite dev` prints the setup link until then). */
  setupClaimed(): boolean;
  /** Stops accepting, lets in-flight requests finish (bounded), closes the database. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Starts the server role: config, the data folder's lock (before the
 * database is opened: a restore or migration running there refuses this
 * start, and this start refuses them), database, stored-secret keys, HTTP(S).
 */
export async function startServer(env: Env, options: { dev?: boolean; log?: Log; assemble?: AssembleOptions } = {}): Promise<RunningServer> {
  let effectiveEnv = env;
  let generated: string[] = [];
  let devFile = '';
  if (options.dev) ({ env: effectiveEnv, generated, file: devFile } = withDevSecrets(env));
  const config = loadConfig(effectiveEnv, { dev: options.dev ?? false });
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config) });
  if (config.dev) {
    log.warn({ file: devFile, generated }, 'DEVELOPMENT MODE: secrets come from a local development file; never use --dev for a real installation');
  }

  const lock = lockDataDir(config.dataDir, 'serve');
  const { app, jobs, close, attachSockets, knowledge, secrets, identity } = await assembleServer(config, log, options.assemble).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  const servers: Server[] = [];
  const closeSockets: Array<() => void> = [];
  let port: number;
  try {
    // A changed DB_ENCRYPTION_KEY stops the start here, before anything is served or written under it.
    const keys = secrets.checkKeys();
    if (keys.previous.length > 0) log.warn({ secrets: describeSecrets(keys) }, 'stored secrets are still sealed under a previous DB_ENCRYPTION_KEY');
    servers.push(createAdaptorServer({ fetch: app.fetch }) as Server);
    closeSockets.push(attachSockets(servers[0]!));
    port = await listen(servers[0]!, config.PORT, config.HOST);
    if (config.TLS_CERT_PATH && config.TLS_KEY_PATH) {
      const https = createAdaptorServer({
        fetch: app.fetch,
        createServer: createHttpsServer,
        serverOptions: { cert: readFileSync(config.TLS_CERT_PATH), key: readFileSync(config.TLS_KEY_PATH) },
      }) as Server;
      servers.push(https);
      closeSockets.push(attachSockets(https));
      await listen(https, config.TLS_PORT, config.HOST);
    }
  } catch (err) {
    for (const s of servers) s.close();
    close();
    lock.release();
    throw err;
  }
  jobs.start();
  knowledge.worker.start();
  log.info({ port, tls: servers.length > 1 ? config.TLS_PORT : undefined, version: VERSION, dataDir: config.dataDir }, 'onsite server listening');

  let stopping: Promise<void> | undefined;
  return {
    config,
    port,
    setupClaimed: () => identity.setup.status().claimed,
    stop() {
      stopping ??= (async () => {
        log.info('shutting down: no new connections, finishing requests');
        // Order: stop taking requests, let background jobs finish, then close the database.
        // Ingestion stops first (its jobs stay queued for the next start), before the miners it embeds on go.
        await knowledge.worker.stop();
        // Miner sockets go next: they never end by themselves and would hold the server open.
        for (const closeSocket of closeSockets) closeSocket();
        await Promise.all(servers.map((s) => closeServer(s, config.SHUTDOWN_TIMEOUT_S * 1000)));
        await jobs.stop();
        close();
        lock.release();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/** `onsite serve [--dev]`: runs the server until SIGTERM or SIGINT. */
export const serveCommand: Command = {
  name: 'serve',
  usage: [{ synopsis: 'serve [--dev]', summary: 'run the server (--dev: generate local development secrets)' }],
  async run(args, env) {
    const { values } = parseArgs({ args, options: { dev: { type: 'boolean', default: false } } });
    return untilSignal(await startServer(env, { dev: values.dev }));
  },
};
