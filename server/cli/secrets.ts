import { createAuditService } from '../audit/audit.service.ts';
import { createAuditStore } from '../audit/audit.store.ts';
import { loadConfig, type Config, type Env } from '../config.ts';
import type { Orm } from '../db/client.ts';
import { withDataDirLock } from '../db/data-lock.ts';
import { systemClock, type Clock } from '../kernel/clock.ts';
import { createKeyring } from '../kernel/seal.ts';
import { createLogger } from '../kernel/log.ts';
import { createSecretsService, type SecretsService, type SecretsStatus } from '../secrets/secrets.service.ts';
import { createSealedSecretsStore } from '../secrets/secrets.store.ts';
import type { CommandIo } from './command.ts';
import { openMigratedDatabase } from './database.ts';

/** The stored-secrets service over a database, with the keyring of the configuration. */
export function secretsFor(orm: Orm, config: Config, clock: Clock = systemClock): SecretsService {
  const keyring = createKeyring(config.DB_ENCRYPTION_KEY, config.DB_ENCRYPTION_KEY_PREVIOUS);
  return createSecretsService({ store: createSealedSecretsStore(orm), keyring, clock });
}

/** One line on how the stored secrets stand against the keys, for `doctor`, `rotate-key` and the start log. */
export function describeSecrets(s: SecretsStatus): string {
  const parts = [`${s.total} stored, ${s.current} under the current key ${s.keyId}`];
  for (const { keyId, n } of s.previous) parts.push(`${n} still under the previous key ${keyId}: run \`onsite admin rotate-key\``);
  for (const { keyId, n } of s.unknown) parts.push(`${n} under key ${keyId}, which no configured key opens`);
  return parts.join('; ');
}

/**
 * `onsite admin rotate-key [--forget-unreadable]`: re-seals every stored
 * secret under the current DB_ENCRYPTION_KEY, opening the old ones with
 * DB_ENCRYPTION_KEY_PREVIOUS. Holds the data folder's lock, so the server
 * is stopped meanwhile: a running server configured with the old key alone
 * could not read what this writes. One transaction; a second run does
 * nothing. Audited.
 */
export async function runRotateKey(args: string[], env: Env, { out }: CommandIo): Promise<number> {
  const forgetUnreadable = args.includes('--forget-unreadable');
  if (args.some((a) => a !== '--forget-unreadable')) {
    out('usage: onsite admin rotate-key [--forget-unreadable]');
    return 2;
  }
  const config = loadConfig(env);
  return withDataDirLock(config.dataDir, 'admin rotate-key', async () => {
    const { db } = await openMigratedDatabase(config, createLogger({ level: 'warn' }));
    try {
      const secrets = secretsFor(db.orm, config);
      const r = secrets.rotate({ forgetUnreadable });
      createAuditService(createAuditStore(db.orm), systemClock).record({
        actor: { label: 'cli' },
        action: 'secrets.rotate_key',
        details: { keyId: r.keyId, resealed: r.resealed.length, forgotten: r.forgotten },
      });
      out(`re-sealed ${r.resealed.length} stored secret(s) under key ${r.keyId}`);
      if (r.forgotten.length) out(`deleted ${r.forgotten.length} that no configured key opens: ${r.forgotten.join(', ')} (enter them again)`);
      out(`stored secrets: ${describeSecrets(secrets.status())}`);
      out('DB_ENCRYPTION_KEY_PREVIOUS can now be emptied; keep the old key with the backups made before now: restoring one needs it there again');
      return 0;
    } finally {
      db.close();
    }
  });
}
