import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backupCommand, migrateCommand, restoreCommand } from '../../../server/cli/db-commands.ts';
import { captureIo } from '../../helpers/cli.ts';
import { startServer } from '../../../server/cli/serve.ts';
import type { Env } from '../../../server/config.ts';
import { openSqlite } from '../../../server/db/client.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { tempDir, validEnv } from '../../helpers/env.ts';
import { startTs, type Proc } from '../../helpers/processes.ts';
import { captureLog } from '../../helpers/server.ts';

const tmp = tempDir();
const procs: Proc[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
});
afterAll(tmp.cleanup);
let n = 0;

const PID_FILE = 'onsite.pid';
const readPidFile = (path: string): { pid?: number; command?: string } | undefined => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { pid?: number; command?: string };
  } catch {
    return undefined;
  }
};

const serverEnv = (dir: string): Env => validEnv(dir, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
const spawnOnsite = (args: string[], env: Env) => {
  const p = startTs('server/cli/main.ts', args, env as Record<string, string>, { single: true });
  procs.push(p);
  return p;
};
const exitCode = (p: Proc) =>
  new Promise<number | null>((resolve) => (p.child.exitCode !== null ? resolve(p.child.exitCode) : p.child.once('exit', (code) => resolve(code))));

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; pid?: unknown }> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, message: err.message, pid: err.details?.pid };
    throw err;
  }
  throw new Error('it was not refused');
}

async function backupOf(env: Env): Promise<string> {
  const io = captureIo();
  await backupCommand.run([], env, io);
  return /backup written: (\S+)/.exec(io.text())![1]!;
}

describe('one exclusive lock on the data folder (serve, restore, migrate)', () => {
  it('a running serve process makes restore refuse, naming its pid, and change nothing; once it stops, restore runs', { timeout: 60_000 }, async () => {
    const dir = join(tmp.dir, `d${++n}`);
    const env = serverEnv(dir);
    const server = spawnOnsite(['serve'], env);
    const port = (await server.waitFor(/"port":(\d+)/))[1]!;
    const file = await backupOf(env);
    const dbBefore = statSync(join(dir, 'onsite.db')).ino;
    const backupsBefore = readdirSync(join(dir, 'backups')).sort();

    const restore = spawnOnsite(['restore', file], env);
    expect(await exitCode(restore)).toBe(1);
    expect(restore.output()).toMatch(new RegExp(`in use by \`onsite serve\` \\(pid ${server.child.pid} .*\\[data_dir_locked\\]`));
    // In-process too: the stable code and the holder's pid.
    expect(await refusal(restoreCommand.run([file], env, captureIo()))).toMatchObject({ code: 'data_dir_locked', pid: server.child.pid });
    expect(statSync(join(dir, 'onsite.db')).ino).toBe(dbBefore);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(backupsBefore); // no safety copy: nothing was started
    expect(readdirSync(dir).filter((f) => f.includes('.restore-'))).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);

    expect(await server.kill('SIGTERM')).toBe(0);
    expect(existsSync(join(dir, PID_FILE))).toBe(false);
    const io = captureIo();
    await restoreCommand.run([file], env, io);
    expect(io.text()).toMatch(/restored .* into /);
  });

  it('a restore in progress makes serve refuse; when it is done, serve starts on the restored data', { timeout: 60_000 }, async () => {
    const dir = join(tmp.dir, `d${++n}`);
    const env = serverEnv(dir);
    const first = await startServer(env, { log: captureLog([]).log });
    await first.stop();
    const file = await backupOf(env);
    const later = openSqlite(join(dir, 'onsite.db'), { dataDir: dir, mustExist: true });
    later.prepare(`INSERT INTO app_meta (key, value) VALUES ('after-backup', 'x')`).run();
    later.close();
    // The restore blocks reading the backup's checksum from a pipe, holding the lock, until the test writes it.
    const sum = readFileSync(`${file}.sha256`, 'utf8');
    rmSync(`${file}.sha256`);
    execFileSync('mkfifo', [`${file}.sha256`]);
    const restore = spawnOnsite(['restore', file], env);
    for (let i = 0; readPidFile(join(dir, PID_FILE))?.pid !== restore.child.pid; i++) {
      if (i > 400) throw new Error(`restore never took the lock:\n${restore.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readPidFile(join(dir, PID_FILE))).toMatchObject({ command: 'restore' });

    const refused = await refusal(startServer(env, { log: captureLog([]).log }));
    expect(refused).toMatchObject({ code: 'data_dir_locked', pid: restore.child.pid });
    expect(refused.message).toMatch(/in use by `onsite restore`/);

    writeFileSync(`${file}.sha256`, sum);
    expect(await exitCode(restore), restore.output()).toBe(0);
    expect(restore.output()).toMatch(/restored /);
    const restored = openSqlite(join(dir, 'onsite.db'), { dataDir: dir, readonly: true });
    expect(restored.prepare(`SELECT count(*) AS n FROM app_meta WHERE key = 'after-backup'`).get()).toEqual({ n: 0 });
    restored.close();
    const server = await startServer(env, { log: captureLog([]).log });
    expect(readPidFile(join(dir, PID_FILE))).toMatchObject({ pid: process.pid, command: 'serve' });
    await server.stop();
  });

  it('takes over the lock of a serve process killed with SIGKILL (its PID file stays behind, its lock does not)', { timeout: 60_000 }, async () => {
    const dir = join(tmp.dir, `d${++n}`);
    const env = serverEnv(dir);
    const killed = spawnOnsite(['serve'], env);
    await killed.waitFor(/"port":(\d+)/);
    const pid = killed.child.pid;
    await killed.kill('SIGKILL');
    expect(readPidFile(join(dir, PID_FILE))?.pid).toBe(pid);

    const server = await startServer(env, { log: captureLog([]).log });
    expect(readPidFile(join(dir, PID_FILE))).toMatchObject({ pid: process.pid, command: 'serve' });
    // And a second server, in this very process, is refused at once.
    expect(await refusal(startServer(env, { log: captureLog([]).log }))).toMatchObject({ code: 'data_dir_locked', pid: process.pid });
    expect(await refusal(migrateCommand.run([], env, captureIo()))).toMatchObject({ code: 'data_dir_locked', pid: process.pid });
    await server.stop();
    await (await startServer(env, { log: captureLog([]).log })).stop();
  });
});
