import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../../server/cli/database.ts';
import { secretsFor } from '../../../server/cli/secrets.ts';
import { loadConfig, type Env } from '../../../server/config.ts';
import type { Db } from '../../../server/db/client.ts';
import { sealKeyId } from '../../../server/kernel/seal.ts';
import { KEY_CHECK_NAME } from '../../../server/secrets/secrets.service.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { secret, tempDir, validEnv } from '../../helpers/env.ts';
import { errorCode as codeOf } from '../../helpers/errors.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;

async function open(dataDir: string, env: Env) {
  const config = loadConfig(validEnv(dataDir, env));
  const { db } = await openMigratedDatabase(config, createLogger({ level: 'silent' }));
  return { db, secrets: secretsFor(db.orm, config) };
}

const rows = (db: Db) =>
  db.sqlite.prepare('SELECT name, value, key_id FROM sealed_secrets ORDER BY name').all() as Array<{ name: string; value: string; key_id: string }>;

describe('stored secrets (sealed_secrets, real SQLite file)', () => {
  it('stores a secret sealed, reads it back, and keeps no plaintext in the database file', async () => {
    const dir = join(tmp.dir, `s${++n}`);
    const key = secret();
    const plaintext = `smtp-password-${secret()}`;
    const { db, secrets } = await open(dir, { DB_ENCRYPTION_KEY: key });
    secrets.put('smtp.password', plaintext);
    expect(secrets.get('smtp.password')).toBe(plaintext);
    expect(secrets.get('absent')).toBeUndefined();
    expect(rows(db)).toEqual([{ name: 'smtp.password', value: expect.stringMatching(/^v1\./), key_id: sealKeyId(key) }]);
    db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(readFileSync(join(dir, 'onsite.db')).includes(Buffer.from(plaintext))).toBe(false);
  });

  it('refuses a sealed value copied onto another row, and bad names', async () => {
    const { db, secrets } = await open(join(tmp.dir, `s${++n}`), {});
    secrets.put('oidc.a.client_secret', 'secret of A');
    secrets.put('oidc.b.client_secret', 'secret of B');
    db.sqlite
      .prepare(`UPDATE sealed_secrets SET value = (SELECT value FROM sealed_secrets WHERE name = 'oidc.a.client_secret') WHERE name = 'oidc.b.client_secret'`)
      .run();
    expect(codeOf(() => secrets.get('oidc.b.client_secret'))).toBe('seal_invalid');
    expect(secrets.get('oidc.a.client_secret')).toBe('secret of A');
    expect(codeOf(() => secrets.put('Bad Name', 'x'))).toBe('bad_request');
    db.close();
  });

  it('rotates: every value re-sealed under the new key in one go, a second run changes nothing, the old key is then unneeded', async () => {
    const dir = join(tmp.dir, `s${++n}`);
    const oldKey = secret();
    const newKey = secret();
    const first = await open(dir, { DB_ENCRYPTION_KEY: oldKey });
    first.secrets.put('a', 'value a');
    first.secrets.put('b', 'value b');
    first.db.close();

    // The new key alone cannot read them, and rotation without the old key changes nothing.
    const without = await open(dir, { DB_ENCRYPTION_KEY: newKey });
    expect(codeOf(() => without.secrets.get('a'))).toBe('seal_key_unknown');
    const before = rows(without.db);
    expect(codeOf(() => without.secrets.rotate())).toBe('seal_key_unknown');
    expect(rows(without.db)).toEqual(before);
    without.db.close();

    const rotating = await open(dir, { DB_ENCRYPTION_KEY: newKey, DB_ENCRYPTION_KEY_PREVIOUS: oldKey });
    expect(rotating.secrets.status()).toMatchObject({ total: 2, current: 0, previous: [{ keyId: sealKeyId(oldKey), n: 2 }], unknown: [] });
    expect(rotating.secrets.rotate()).toEqual({ keyId: sealKeyId(newKey), resealed: ['a', 'b'], forgotten: [] });
    expect(rows(rotating.db).map((r) => r.key_id)).toEqual([sealKeyId(newKey), sealKeyId(newKey)]);
    const after = rows(rotating.db);
    expect(rotating.secrets.rotate()).toEqual({ keyId: sealKeyId(newKey), resealed: [], forgotten: [] });
    expect(rows(rotating.db)).toEqual(after);
    rotating.db.close();

    const done = await open(dir, { DB_ENCRYPTION_KEY: newKey });
    expect([done.secrets.get('a'), done.secrets.get('b')]).toEqual(['value a', 'value b']);
    expect(done.secrets.status()).toMatchObject({ total: 2, current: 2, previous: [], unknown: [] });
    done.db.close();
  });

  it('rolls the whole rotation back when one value is damaged', async () => {
    const dir = join(tmp.dir, `s${++n}`);
    const oldKey = secret();
    const first = await open(dir, { DB_ENCRYPTION_KEY: oldKey });
    first.secrets.put('a', 'value a');
    first.secrets.put('b', 'value b');
    first.db.sqlite.prepare(`UPDATE sealed_secrets SET value = substr(value, 1, length(value) - 3) || 'AAA' WHERE name = 'b'`).run();
    first.db.close();
    const next = await open(dir, { DB_ENCRYPTION_KEY: secret(), DB_ENCRYPTION_KEY_PREVIOUS: oldKey });
    const before = rows(next.db);
    expect(codeOf(() => next.secrets.rotate())).toBe('seal_invalid');
    expect(rows(next.db)).toEqual(before);
    next.db.close();
  });

  it('checkKeys seals the key-check value once and refuses a database sealed under a key no longer configured', async () => {
    const dir = join(tmp.dir, `s${++n}`);
    const key = secret();
    const first = await open(dir, { DB_ENCRYPTION_KEY: key });
    expect(first.secrets.checkKeys()).toMatchObject({ total: 1, current: 1 });
    const check = rows(first.db);
    expect(check.map((r) => r.name)).toEqual([KEY_CHECK_NAME]);
    first.secrets.checkKeys();
    expect(rows(first.db)).toEqual(check);
    first.db.close();

    const changed = await open(dir, { DB_ENCRYPTION_KEY: secret() });
    expect(codeOf(() => changed.secrets.checkKeys())).toBe('seal_key_unknown');
    // Lost for good: the operator's way out deletes what cannot be opened, and the next start seals a new check value.
    expect(changed.secrets.rotate({ forgetUnreadable: true }).forgotten).toEqual([KEY_CHECK_NAME]);
    expect(changed.secrets.checkKeys()).toMatchObject({ total: 1, current: 1 });
    changed.db.close();
  });
});
