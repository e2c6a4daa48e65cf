import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A child process of ours, with its output so far. */
export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a TypeScript entry point under tsx on the Node running the tests.
 * `single` loads tsx into the entry's own process instead of running tsx's
 * CLI, which keeps the program in a child of its own: then a SIGKILL hits
 * the program itself, as a crash would.
 */
export function startTs(entry: string, args: string[], env: Record<string, string>, options: { single?: boolean } = {}): Proc {
  const argv = options.single ? ['--import', 'tsx', entry, ...args] : ['node_modules/tsx/dist/cli.mjs', entry, ...args];
  const child = spawn(process.execPath, argv, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${re} in:\n${out.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        child.once('exit', () => setTimeout(check, 10));
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A free TCP port on 127.0.0.1, for a server whose APP_BASE_URL must name
 * its port before it starts (PORT=0 would only tell afterwards).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
