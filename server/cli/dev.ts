import { join } from 'node:path';
import type { Config, Env } from '../config.ts';
import { freeLoopbackPort } from '../kernel/free-port.ts';
import type { Command, CommandIo } from './command.ts';
import { findChromium, pickEnv, startDevChild, type DevChild } from './dev-children.ts';
import { startServer } from './serve.ts';
import { untilSignal } from './until-signal.ts';

/** Where the development miner looks for Ollama unless OLLAMA_HOST says otherwise: Ollama's own default. */
export const DEV_OLLAMA_HOST = 'http://127.0.0.1:11434';

// One Chromium is plenty on a developer's machine; the sidecar's default of 6 is for a server.
const DEV_BROWSER_POOL = '1';

// The server's own loopback URL for its children, whatever address it listens on.
function localUrl(config: Config, port: number): string {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// The miner and the sidecar get their own variables and the secrets they need, never the server's others.
function minerEnv(env: Env, config: Config, serverUrl: string): Env {
  return {
    ...pickEnv(env, ['MODELS', 'WORKER_ID', 'MINER_CAPACITY']),
    SERVER_URL: serverUrl,
    OLLAMA_HOST: env.OLLAMA_HOST || DEV_OLLAMA_HOST,
    MINER_ENROLLMENT_SECRET: config.MINER_ENROLLMENT_SECRET,
    MINER_STATE_DIR: env.MINER_STATE_DIR || join(config.dataDir, 'miner-state'),
    MINER_HEARTBEAT_INTERVAL: String(config.MINER_HEARTBEAT_INTERVAL),
    HOST: '127.0.0.1',
    PORT: '0', // its health endpoint: nobody polls it here
  };
}

function browserEnv(env: Env, config: Config, chrome: string, port: number): Env {
  return {
    ...pickEnv(env, ['NO_EXTERNAL_EGRESS'], ['BROWSER_SERVICE_', 'BROWSER_SESSION_', 'BROWSER_FETCH_', 'BROWSER_MAX_']),
    BROWSER_SERVICE_POOL_SIZE: env.BROWSER_SERVICE_POOL_SIZE || DEV_BROWSER_POOL,
    BROWSER_SERVICE_AUTH_TOKEN: config.BROWSER_SERVICE_AUTH_TOKEN,
    CHROME_PATH: chrome,
    HOST: '127.0.0.1',
    PORT: String(port),
  };
}

function noChromiumLine(looked: string[]): string {
  return (
    `Web pages in chat are off: no Chromium at ${looked.join(', ')}. ` +
    'Install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium) or set CHROME_PATH, then start again.'
  );
}

/**
 * `onsite dev` (`npm start`): the whole appliance for local development in
 * one process tree. The server runs here with development secrets
 * (`serve --dev`); the bundled miner (pointed at OLLAMA_HOST, default
 * {@link DEV_OLLAMA_HOST}) and, when Chromium is found, the browser sidecar
 * run as children that stop with it. Prints the URL to open and, until the
 * first admin is claimed, the setup link with the bootstrap token.
 */
async function runDev(_args: string[], env: Env, io: CommandIo): Promise<number> {
  const port = env.PORT === undefined || env.PORT === '' ? '8000' : env.PORT === '0' ? String(await freeLoopbackPort()) : env.PORT;
  // APP_BASE_URL follows PORT here, so the printed link and the CSRF origin name the port really used.
  const base = env.APP_BASE_URL || (/^\d+$/.test(port) ? `http://localhost:${port}` : undefined);
  const chrome = findChromium(env);
  const browserPort = chrome.path ? await freeLoopbackPort() : undefined;
  const server = await startServer(
    { ...env, PORT: port, ...(base ? { APP_BASE_URL: base } : {}), ...(browserPort ? { BROWSER_SERVICE_URL: `http://127.0.0.1:${browserPort}` } : {}) },
    { dev: true },
  );
  const { config } = server;
  const children: DevChild[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await server.stop();
  };
  try {
    const miner = minerEnv(env, config, localUrl(config, server.port));
    children.push(startDevChild('miner', miner, io, 'miner'));
    io.out(`The bundled miner runs its jobs on the Ollama at ${miner.OLLAMA_HOST} (set OLLAMA_HOST to use another).`);
    if (chrome.path && browserPort) children.push(startDevChild('browser', browserEnv(env, config, chrome.path, browserPort), io, 'browser sidecar'));
    else io.out(noChromiumLine(chrome.looked));
  } catch (err) {
    await stop();
    throw err;
  }
  // Listening before saying so: a Ctrl-C the moment the address shows must stop the tree gracefully,
  // and a SIGTERM that came before any listener would end this process on the spot.
  const stopped = untilSignal({ stop });
  watchParent();
  io.out(`Onsite is running: open ${config.APP_BASE_URL}`);
  const token = config.ONSITE_BOOTSTRAP_TOKEN;
  if (token && !server.setupClaimed())
    io.out(`First start: claim the admin account at ${config.APP_BASE_URL.replace(/\/+$/, '')}/setup?token=${encodeURIComponent(token)}`);
  return stopped;
}

// `npm start` killed outright (SIGKILL) would leave this tree running with no terminal: when the
// parent is gone (this process was handed to another), stop as if asked.
function watchParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, 1_000).unref();
}

/** `onsite dev`: server, miner and browser sidecar for local development (what `npm start` runs). */
export const devCommand: Command = {
  name: 'dev',
  usage: [
    {
      synopsis: 'dev',
      summary: 'run server, miner and browser sidecar for local development (npm start;\ndevelopment secrets, never for a real installation)',
    },
  ],
  run: runDev,
};
