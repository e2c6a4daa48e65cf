import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { freeLoopbackPort } from '../../server/kernel/free-port.ts';

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
  return startProcess(process.execPath, argv, env);
}

/**
 * Starts any program (`npm`, `sh`, …) with `env` over PATH alone, keeping its
 * output like {@link startTs}. `group` makes it lead a process group of its
 * own, as a terminal's foreground job is: `process.kill(-pid, 'SIGINT')` is then Ctrl-C.
 */
export function startProcess(file: string, argv: string[], env: Record<string, string>, options: { group?: boolean } = {}): Proc {
  const child = spawn(file, argv, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: options.group ?? false });
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

/** A free TCP port on 127.0.0.1, for a server whose APP_BASE_URL must name its port before it starts. */
export const freePort = freeLoopbackPort;

// Each process's parent, from /proc (Linux): `pid (comm) state ppid …`, where comm may hold spaces.
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      map.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** Every process below `pid` now (children, theirs, …), by /proc. */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), child]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether `pid` still runs (a zombie waiting for its parent to read its exit does not). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
