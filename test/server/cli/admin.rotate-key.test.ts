import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../../server/cli/admin.ts';
import { openMigratedDatabase } from '../../../server/cli/database.ts';
import { doctorCommand } from '../../../server/cli/doctor.ts';
import { secretsFor } from '../../../server/cli/secrets.ts';
import { startServer } from '../../../server/cli/serve.ts';
import { loadConfig, type Env } from '../../../server/config.ts';
import type { Db } from '../../../server/db/client.ts';
import { sealKeyId } from '../../../server/kernel/seal.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { captureIo } from '../../helpers/cli.ts';
import { secret, tempDir, validEnv } from '../../helpers/env.ts';
import { rejectionCode as refusedCode } from '../../helpers/errors.ts';
import { captureLog } from '../../helpers/server.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

const doctor = async (env: Env) => {
  const io = captureIo();
  const ok = (await doctorCommand.run([], env, io)) === 0;
  return { ok, text: io.text() };
};
const admin = async (env: Env, args: string[]) => {
  const io = captureIo();
  const code = await adminCommand.run(args, env, io);
  return { code, text: io.text() };
};
async function withSecrets<T>(env: Env, fn: (s: ReturnType<typeof secretsFor>, db: Db) => T): Promise<T> {
  const config = loadConfig(env);
  const { db } = await openMigratedDatabase(config, createLogger({ level: 'silent' }));
  try {
    return fn(secretsFor(db.orm, config), db);
  } finally {
    db.close();
  }
}

describe('onsite admin rotate-key, end to end on one data folder', () => {
  it(
    'a changed key stops serve; with the old key listed the server runs and rotate-key re-seals everything once; then the old key can go',
    { timeout: 60_000 },
    async () => {
      const dir = join(tmp.dir, 'site');
      const oldKey = secret();
      const newKey = secret();
      const base = validEnv(dir, { PORT: '0', HOST: '127.0.0.1', DB_ENCRYPTION_KEY: oldKey });
      const withKeys = (current: string, previous?: string): Env => ({ ...base, DB_ENCRYPTION_KEY: current, DB_ENCRYPTION_KEY_PREVIOUS: previous });

      // First start seals the key check; a feature stores a secret under the same key.
      await (await startServer(base, { log: captureLog([]).log })).stop();
      await withSecrets(base, (s) => s.put('smtp.password', 'the smtp password'));
      expect((await doctor(base)).text).toMatch(new RegExp(`✓ stored secrets: 2 stored, 2 under the current key ${sealKeyId(oldKey)}`));

      // The key changed without the old one listed: no start, and doctor says why.
      expect(await refusedCode(startServer(withKeys(newKey), { log: captureLog([]).log }))).toBe('seal_key_unknown');
      const lost = await doctor(withKeys(newKey));
      expect(lost.ok).toBe(false);
      expect(lost.text).toMatch(new RegExp(`✕ stored secrets: .*2 under key ${sealKeyId(oldKey)}, which no configured key opens`));

      // With the old key listed the server starts (and warns); rotate-key refuses beside it.
      const rotating = withKeys(newKey, oldKey);
      expect((await doctor(rotating)).text).toMatch(/2 still under the previous key .*run `onsite admin rotate-key`/);
      const logs = captureLog([]);
      const server = await startServer(rotating, { log: logs.log });
      expect(logs.text()).toMatch(/still sealed under a previous DB_ENCRYPTION_KEY/);
      expect(await refusedCode(admin(rotating, ['rotate-key']))).toBe('data_dir_locked');
      await server.stop();

      const first = await admin(rotating, ['rotate-key']);
      expect(first.code).toBe(0);
      expect(first.text).toMatch(new RegExp(`re-sealed 2 stored secret\\(s\\) under key ${sealKeyId(newKey)}`));
      const again = await admin(rotating, ['rotate-key']);
      expect(again.text).toMatch(/re-sealed 0 stored secret/);
      expect((await doctor(rotating)).text).toMatch(/✓ stored secrets: 2 stored, 2 under the current key/);

      // The old key is no longer needed: the server starts on the new key alone and the secret reads back.
      const done = withKeys(newKey);
      await (await startServer(done, { log: captureLog([]).log })).stop();
      expect(await withSecrets(done, (s) => s.get('smtp.password'))).toBe('the smtp password');
      const audited = await withSecrets(done, (_s, db) =>
        db.sqlite.prepare(`SELECT actor_label AS actor FROM audit_log WHERE action = 'secrets.rotate_key'`).all(),
      );
      expect(audited).toEqual([{ actor: 'cli' }, { actor: 'cli' }]);
    },
  );

  it('--forget-unreadable is the way out when the old key is lost for good', { timeout: 30_000 }, async () => {
    const dir = join(tmp.dir, 'lost');
    const base = validEnv(dir, { PORT: '0', HOST: '127.0.0.1' });
    await (await startServer(base, { log: captureLog([]).log })).stop();
    const fresh = { ...base, DB_ENCRYPTION_KEY: secret() };
    expect(await refusedCode(admin(fresh, ['rotate-key']))).toBe('seal_key_unknown');
    const forgot = await admin(fresh, ['rotate-key', '--forget-unreadable']);
    expect(forgot.text).toMatch(/deleted 1 that no configured key opens: onsite\.key_check/);
    await (await startServer(fresh, { log: captureLog([]).log })).stop();
    expect((await admin(fresh, ['rotate-key', '--bogus'])).code).toBe(2);
  });
});
