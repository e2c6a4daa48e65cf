import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../files.ts';
import { loadImage, pingDocker } from './docker-api.ts';

/** File names `docker load` accepts: plain or compressed tarballs. */
const TARBALL = /\.(tar|tar\.gz|tgz|tar\.xz|tar\.bz2|tar\.zst)$/;

/** What was loaded from one tarball. */
export interface LoadedImage {
  file: string;
  images: string[];
}

/** The image tarballs in a bundle's images/ folder, as bundle-relative paths, sorted. */
export async function imageTarballs(bundleDir: string): Promise<string[]> {
  const dir = join(bundleDir, 'images');
  if (!(await exists(dir))) return [];
  const names = await readdir(dir, { withFileTypes: true });
  return names
    .filter((e) => e.isFile() && TARBALL.test(e.name))
    .map((e) => `images/${e.name}`)
    .sort();
}

/**
 * Loads every image tarball of the bundle into the Docker Engine. All of
 * them, including the one scripts/init.sh loaded to run init: loading an
 * image twice is harmless and keeps this step simple.
 */
export async function loadImages(bundleDir: string, socketPath: string, progress: (line: string) => void = () => {}): Promise<LoadedImage[]> {
  const files = await imageTarballs(bundleDir);
  if (files.length === 0) return [];
  await pingDocker(socketPath);
  const loaded: LoadedImage[] = [];
  for (const file of files) {
    progress(`loading ${file}`);
    loaded.push({ file, images: await loadImage(socketPath, join(bundleDir, file), file) });
  }
  return loaded;
}
