import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { secretProblem } from '../../config.ts';
import { generateAcceptedSecret } from '../../kernel/secrets.ts';
import { AppError } from '../../kernel/errors.ts';
import { chownIf, writeFileAtomic, type Owner } from '../files.ts';
import { renderEntries, updateEnvText, type EnvUpdate } from './dotenv.ts';
import { envEntries, type EnvEntry } from './entries.ts';

/** The file compose reads its variables from, in the bundle folder. */
export const ENV_FILE = '.env';

const HEADER = [
  '# Onsite configuration, read by docker compose from this folder.',
  '# Written by `onsite init` (scripts/init.sh): running it again keeps every',
  '# value here and only adds what is missing. Keep this file private (0600).',
];

/** The first lines of compose/.env.example. */
export const EXAMPLE_HEADER = [
  '# Example of the .env that `onsite init` (scripts/init.sh) writes beside',
  '# the compose file, with a unique generated value for every secret.',
  '# Do not copy it by hand: run init. Values left blank are generated.',
];

/** A secret for this installation: 32 random bytes as base64url (43 characters) that every role accepts. */
export const generateInstallSecret = generateAcceptedSecret;

/** What writing `.env` did, without any secret value except the bootstrap token. */
export interface EnvResult extends EnvUpdate {
  path: string;
  created: boolean;
  changed: boolean;
  /** Secrets that were kept although the server will refuse them, with the reason. */
  weak: string[];
}

/** The fully rendered text of compose/.env.example: the same entries with blank secrets. */
export function renderEnvExample(version: string): string {
  return `${[...EXAMPLE_HEADER, ...renderEntries(envEntries(version), new Map())].join('\n')}\n`;
}

/**
 * Creates or completes `<bundle>/.env` with mode 0600, owned by `owner`
 * when given. Never changes a value already there; generates each missing
 * secret; takes `settings` (e.g. TLS_HOSTS from --host) only for keys that
 * are absent. Refuses to go on when the file exists but cannot be read.
 */
export async function ensureEnvFile(
  bundleDir: string,
  options: { version: string; settings?: Record<string, string>; owner?: Owner; now?: Date },
): Promise<EnvResult> {
  const path = join(bundleDir, ENV_FILE);
  const entries = envEntries(options.version);
  const fresh = (e: EnvEntry) => (e.kind === 'secret' ? generateInstallSecret() : (options.settings?.[e.key] ?? e.value));
  let existing: string | undefined;
  try {
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AppError('env_invalid', `${path} exists but cannot be read (${(err as NodeJS.ErrnoException).code}); fix it and run init again`);
  }
  let update: EnvUpdate;
  if (existing === undefined) {
    const values = new Map(entries.map((e) => [e.key, fresh(e)]));
    update = { text: `${[...HEADER, ...renderEntries(entries, values)].join('\n')}\n`, added: entries.map((e) => e.key), filled: [], kept: [], values };
  } else update = updateEnvText(existing, entries, fresh, (options.now ?? new Date()).toISOString().slice(0, 10));
  const changed = update.text !== existing;
  if (changed) await writeFileAtomic(path, update.text, 0o600, options.owner);
  else {
    await chmod(path, 0o600); // an .env made by hand may be readable by every user of the host
    await chownIf(path, options.owner);
  }
  const weak = update.kept.flatMap((key) => {
    const entry = entries.find((e) => e.key === key)!;
    const value = update.values.get(key);
    const problem = entry.kind === 'secret' && value !== undefined ? secretProblem(value) : undefined;
    return problem ? [`${key}: ${problem}`] : [];
  });
  return { ...update, path, created: existing === undefined, changed, weak };
}
