import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs a command; throws with its output on failure unless `allowFail`. */
export type Sh = (
  cmd: string,
  args: string[],
  opts?: { cwd?: string; allowFail?: boolean; env?: Record<string, string> },
) => { status: number; output: string };

/** A command runner rooted in `cwd`, with output captured (stdout and stderr together). */
export function sh(cwd: string): Sh {
  return (cmd, args, opts = {}) => {
    const r = spawnSync(cmd, args, { cwd: opts.cwd ?? cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    const status = r.status ?? 1;
    if (status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${status}:\n${output.slice(-6000)}`);
    return { status, output };
  };
}

/** Removes the marker volumes that onsite init creates beside its record (server/init/bundle/record.ts). */
export function removeInitMarkers(): void {
  const markers = execFileSync('docker', ['volume', 'ls', '-q', '--filter', 'label=io.onsite.record=init']).toString().split('\n').filter(Boolean);
  if (markers.length) spawnSync('docker', ['volume', 'rm', '-f', ...markers], { stdio: 'ignore' });
}

/** A free TCP port on this machine. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

const MIGRATIONS = 'server/db/migrations';

/**
 * Builds and extracts a later bundle from a copy of this checkout, with one
 * more migration: `good` adds a table, `broken-migration` has invalid SQL,
 * so its server can never become healthy. The copy keeps this checkout's
 * development keys, so licences and bundle signatures stay valid.
 */
export async function buildUpdateBundle(work: string, version: string, kind: 'good' | 'broken-migration'): Promise<string> {
  const src = join(work, `src-${version}`);
  mkdirSync(src);
  for (const p of ['server', 'miner', 'browser', 'licenses', 'bundle', 'compose', 'scripts', 'package-lock.json', 'tsconfig.json'])
    cpSync(join(ROOT, p), join(src, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  mkdirSync(join(src, 'dist'));
  for (const key of ['dev-license-key.json', 'dev-bundle-key.json']) copyFileSync(join(ROOT, 'dist', key), join(src, 'dist', key));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(src, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));

  const journalPath = join(src, MIGRATIONS, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as {
    entries: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }>;
  };
  const last = journal.entries.at(-1)!;
  const tag = `${String(last.idx + 1).padStart(4, '0')}_${kind === 'good' ? 'update_probe' : 'broken'}`;
  journal.entries.push({ idx: last.idx + 1, version: last.version, when: last.when + 1000, tag, breakpoints: true });
  writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  writeFileSync(
    join(src, MIGRATIONS, `${tag}.sql`),
    kind === 'good' ? 'CREATE TABLE `update_probe` (`id` integer PRIMARY KEY NOT NULL);\n' : 'CREATE TABLE `broken` (;\n',
  );

  const run = sh(src);
  run('npx', ['tsx', 'bundle/build-bundle.ts', '--out', join(work, `out-${version}`), '--without-ollama', '--archive', 'tar', '--version', version]);
  const dir = join(work, `bundle-${version}`);
  mkdirSync(dir);
  run('tar', ['-xf', join(work, `out-${version}`, `onsite-${version}.tar`), '-C', dir, '--strip-components=1']);
  return dir;
}
