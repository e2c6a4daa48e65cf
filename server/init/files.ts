import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Who should own the files init writes into the bundle folder (the host user, not the container's root). */
export interface Owner {
  uid: number;
  gid: number;
}

/** SHA-256 of a file's content as lowercase hex, read as a stream (image tarballs are gigabytes). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Lists every file under `root/sub` (all of `root` when `sub` is empty) as
 * paths relative to `root` with `/` separators, sorted. Anything that is
 * not a plain file or folder (a symbolic link, a device) is returned in
 * `odd`: a signed bundle has no reason to hold one, and following a link
 * could read outside it.
 */
export async function listFiles(root: string, sub: string): Promise<{ files: string[]; odd: string[] }> {
  const files: string[] = [];
  const odd: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) files.push(child);
      else odd.push(child);
    }
  };
  await walk(sub);
  return { files: files.sort(), odd: odd.sort() };
}

/** Tells whether a path exists (without following a final symbolic link). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** A temporary name beside `path`, so the final rename stays on one file system and is atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${path.split(/[/\\]/).pop()}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Writes a file atomically: a temporary file with the final mode (never
 * briefly readable by others), flushed, then renamed over `path`. An
 * interrupted init leaves the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode: number, owner?: Owner): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed or, worse, the mode argument been ignored
    if (owner) await chown(tmp, owner.uid, owner.gid);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Gives a path to the host user when one is known. */
export async function chownIf(path: string, owner: Owner | undefined): Promise<void> {
  if (owner) await chown(path, owner.uid, owner.gid);
}
