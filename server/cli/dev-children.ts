import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Env } from '../config.ts';
import { isSingleExecutable } from '../kernel/embedded.ts';
import type { CommandIo } from './command.ts';

/** A role `onsite dev` runs as a child process of its own. */
export interface DevChild {
  /** Asks the child to stop (SIGTERM; SIGKILL 15 s later) and waits for its exit. */
  stop(): Promise<void>;
}

// Where a stopped child gets SIGKILL: the miner and the sidecar stop within their own bounds well before.
const GRACE_MS = 15_000;

// This executable again: the binary runs its own subcommand, a checkout runs main.ts under tsx.
function selfCommand(args: string[]): { file: string; args: string[]; cwd: string | undefined } {
  if (isSingleExecutable()) return { file: process.execPath, args, cwd: undefined };
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return { file: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url)), ...args], cwd: root };
}

/**
 * Starts `onsite <role>` as a child with `env` and the parent's standard
 * output and error. It gets an IPC channel: when this process dies, even
 * by SIGKILL, the channel closes and the child stops itself (`untilSignal`).
 * An exit the parent did not ask for is reported in one plain line.
 */
export function startDevChild(role: 'miner' | 'browser', env: Env, io: CommandIo, what: string): DevChild {
  const { file, args, cwd } = selfCommand([role]);
  const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      io.err(`could not start the ${what}: ${err.message}`);
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (!stopping) io.err(`the ${what} stopped (${signal ?? `exit code ${code}`}); the rest keeps running, see its log above`);
      resolve();
    });
  });
  return {
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Variables of the parent that every child needs to run at all (paths, locale, terminal). */
const PROCESS_KEYS = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TERM', 'LOG_LEVEL'];

/** The variables of `env` named in `keys` or starting with one of `prefixes`; a child gets only these and what it is given. */
export function pickEnv(env: Env, keys: readonly string[], prefixes: readonly string[] = []): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && ([...PROCESS_KEYS, ...keys].includes(k) || prefixes.some((p) => k.startsWith(p)))) out[k] = v;
  return out;
}

// Where Chromium usually is: Debian/Ubuntu packages, Chrome, snap, macOS.
const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** CHROME_PATH when set (only it: it was asked for), otherwise the first usual place that has Chromium. */
export function findChromium(env: Env): { path?: string | undefined; looked: string[] } {
  const looked = env.CHROME_PATH ? [env.CHROME_PATH] : CHROMIUM_PATHS;
  return { path: looked.find((p) => existsSync(p)), looked };
}
