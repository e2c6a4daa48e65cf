import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Keyring } from '../../licenses/activation-code.ts';
import { startFakeDocker } from './fake-docker.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** What one run of an operator script did. */
export interface ScriptRun {
  status: number;
  output: string;
  /** Every docker command line, in order (`ran IMAGE` after each `run`). */
  calls: string[];
  /** Image tarballs `docker load` was given, and requests to the fake Engine API's /images/load. */
  loads: number;
}

/**
 * A fake docker CLI (and the Engine API behind `onsite init`) in `dir`:
 * `script(path, args)` runs an operator script with bash, the fake first on
 * PATH, and reports its output and every docker call. `installed` lists
 * images the engine already holds (e.g. onsite:0.1.0 for an update).
 */
export async function fakeDockerCli(dir: string, keyring: Keyring, installed: string[] = []) {
  for (const sub of ['bin', 'volumes', 'images']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(ROOT, 'test/helpers/fake-docker.sh'), join(dir, 'bin/docker'));
  chmodSync(join(dir, 'bin/docker'), 0o755);
  writeFileSync(join(dir, 'keyring.json'), JSON.stringify(keyring));
  for (const image of installed) writeFileSync(join(dir, 'images', image), '');
  const engine = await startFakeDocker(dir, { volumesDir: join(dir, 'volumes') });
  const log = join(dir, 'calls.log');
  const env = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    FAKE_DOCKER: dir,
    FAKE_NODE: process.execPath,
    FAKE_TSX: join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
    FAKE_ONSITE: join(ROOT, 'test/helpers/fake-onsite.ts'),
    FAKE_ONSITE_KEYRING: join(dir, 'keyring.json'),
  };
  // Async: the fake Engine API answers from this process while the script runs.
  const script = (path: string, args: string[] = [], extraEnv: Record<string, string> = {}) =>
    new Promise<ScriptRun>((done) => {
      writeFileSync(log, '');
      const seen = engine.requests.length;
      const child = spawn('bash', [path, ...args], { env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => {
        const calls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
        const loads = calls.filter((c) => c.startsWith('load ')).length + engine.requests.slice(seen).filter((r) => r.url.startsWith('/images/load')).length;
        done({ status: code ?? 1, output, calls, loads });
      });
    });
  return { script, engine, volumesDir: join(dir, 'volumes'), close: engine.close };
}
