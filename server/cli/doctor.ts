import { existsSync, statSync } from 'node:fs';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { loadConfig, redactedConfig, type Env } from '../config.ts';
import { openSqlite } from '../db/client.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { bundledMigrations } from '../db/migrations.ts';
import * as schema from '../db/schema/index.ts';
import { isAppError } from '../kernel/errors.ts';
import { REVISION, VERSION } from '../version.ts';
import type { Command } from './command.ts';
import { describeSecrets, secretsFor } from './secrets.ts';

// Prints the configuration and checks it; false when a check failed.
function runDoctor(env: Env, out: (line: string) => void): boolean {
  out(`onsite ${VERSION} (${REVISION}), node ${process.version}`);
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    out(`✕ configuration: ${isAppError(err) ? err.message : String(err)}`);
    return false;
  }
  out('configuration (secrets redacted):');
  for (const [k, v] of Object.entries(redactedConfig(config))) out(`  ${k}=${v === undefined ? '' : String(v)}`);
  let ok = true;
  const check = (name: string, fn: () => string) => {
    try {
      out(`✓ ${name}: ${fn()}`);
    } catch (err) {
      ok = false;
      out(`✕ ${name}: ${(err as Error).message}`);
    }
  };
  check('data folder', () => {
    if (!existsSync(config.dataDir)) return `${config.dataDir} (will be created at start)`;
    if (!statSync(config.dataDir).isDirectory()) throw new Error(`${config.dataDir} is not a folder`);
    return config.dataDir;
  });
  if (existsSync(config.dbPath)) {
    const db = openSqlite(config.dbPath, { dataDir: config.dataDir, mustExist: true });
    try {
      check('database integrity', () => {
        const r = db.pragma('integrity_check', { simple: true });
        if (r !== 'ok') throw new Error(String(r));
        return 'ok';
      });
      check('schema', () => {
        const pending = pendingMigrations(db, bundledMigrations());
        return pending.length ? `${pending.length} migration(s) will run at start` : 'current';
      });
      check('sqlite-vec', () => (db.prepare('SELECT vec_version() AS v').get() as { v: string }).v);
      if (db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sealed_secrets'`).get()) {
        check('stored secrets', () => {
          const s = secretsFor(drizzle(db, { schema }), config).status();
          // Values under a key no configured key opens stop the server's start: a failure here too.
          if (s.unknown.length > 0) throw new Error(describeSecrets(s));
          return describeSecrets(s);
        });
      }
    } finally {
      db.close();
    }
  } else {
    out(`· database: ${config.dbPath} does not exist yet (created at first start)`);
  }
  return ok;
}

/**
 * `onsite doctor`: prints the configuration with every secret redacted and
 * checks what can be checked without starting: config, data folder,
 * database integrity, schema and sqlite-vec. Exits 1 when a check failed.
 */
export const doctorCommand: Command = {
  name: 'doctor',
  usage: [{ synopsis: 'doctor', summary: 'print the configuration (secrets redacted) and check it' }],
  run: (_args, env, io) => Promise.resolve(runDoctor(env, io.out) ? 0 : 1),
};
