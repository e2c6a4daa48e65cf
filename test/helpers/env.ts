import { generateAcceptedSecret } from '../../server/kernel/secrets.ts';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../server/config.ts';

/** A fresh random secret, as init would make. */
// Drawn as the product draws its own (kernel/secrets.ts): now and then 32 random bytes spell a
// marker such as `todo`, which the configuration refuses as a typed example, failing a test at random.
export const secret = (): string => generateAcceptedSecret();

/**
 * A loopback address where no browser sidecar listens: test servers point
 * there so they never ask DNS for the default `browser` host.
 */
export const NO_SIDECAR_URL = 'http://127.0.0.1:2';

/** A complete, valid server environment rooted in `dataDir`. */
export function validEnv(dataDir: string, extra: Env = {}): Env {
  return {
    ONSITE_DATA_DIR: dataDir,
    SESSION_SECRET: secret(),
    DB_ENCRYPTION_KEY: secret(),
    MINER_ENROLLMENT_SECRET: secret(),
    BROWSER_SERVICE_AUTH_TOKEN: secret(),
    ONSITE_BOOTSTRAP_TOKEN: secret(),
    LOG_LEVEL: 'silent',
    BROWSER_SERVICE_URL: NO_SIDECAR_URL,
    // Tests of other features sign in admins with a password alone; MFA tests set the policy they test.
    MFA_REQUIRED: 'off',
    ...extra,
  };
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = 'onsite-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A maker of fresh, numbered, empty folders inside `root` (one per test case). */
export function folderMaker(root: string): () => string {
  let n = 0;
  return () => {
    const dir = join(root, `b${++n}`);
    mkdirSync(dir);
    return dir;
  };
}
