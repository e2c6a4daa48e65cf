import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../server/kernel/errors.ts';
import { enrollResponseSchema, workerIdSchema } from '../server/kernel/protocol/miner.ts';

/** The identity a miner keeps across restarts: who it is and how it proves it. */
export const minerIdentitySchema = z.object({
  minerId: enrollResponseSchema.shape.minerId,
  minerToken: enrollResponseSchema.shape.minerToken,
  serverUrl: z.string().min(1),
  workerId: workerIdSchema,
  /** Only for a remote miner: the key it prints until an admin confirms it. */
  pairingKey: z.string().min(1).optional(),
  enrolledAt: z.string().optional(),
});
export type MinerIdentity = z.infer<typeof minerIdentitySchema>;

/** Path of the identity file inside a state folder. */
export function identityPath(stateDir: string): string {
  return join(stateDir, 'identity.json');
}

/**
 * Reads the saved identity; undefined when there is none. A file that is
 * there but unreadable is an error: silently enrolling again would leave a
 * ghost miner on the server.
 */
export function loadIdentity(stateDir: string): MinerIdentity | undefined {
  const file = identityPath(stateDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('config_invalid', `cannot read the miner identity ${file} (${(err as Error).message}); delete the file to enroll again`);
  }
  const parsed = minerIdentitySchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'config_invalid',
      `the miner identity ${file} is damaged (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}); delete the file to enroll again`,
    );
  }
  return parsed.data;
}

/**
 * Writes the identity atomically (temporary file, fsync, rename) so a crash
 * never leaves half a token behind; the file is 0600 in a 0700 folder
 * because it holds the miner's credential.
 */
export function saveIdentity(stateDir: string, identity: MinerIdentity): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const target = identityPath(stateDir);
  const temp = join(stateDir, `.identity.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(minerIdentitySchema.parse(identity), null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o600); // the umask may have narrowed, never widened, but be explicit
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
