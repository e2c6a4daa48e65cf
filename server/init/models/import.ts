import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../kernel/errors.ts';
import { exists, hashFile, listFiles, tempPathFor, writeFileAtomic } from '../files.ts';
import { BLOB_NAME, readManifest, type Manifest } from './layout.ts';

/** What importing the bundle's models did. */
export interface ModelImport {
  models: string[];
  blobsCopied: number;
  blobsPresent: number;
  bytesCopied: number;
  manifestsWritten: number;
  manifestsKept: number;
}

const invalid = (message: string) => new AppError('model_invalid', `${message}; no model file was copied`);

// Copies through a hash and renames only when the content is what the name
// says: Ollama trusts blob names, so a wrong blob must never land under one.
async function copyBlob(src: string, dest: string, sha256: string, label: string): Promise<number> {
  const tmp = tempPathFor(dest);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      createReadStream(src),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp, { mode: 0o644, flags: 'wx', flush: true }),
    );
    if (hash.digest('hex') !== sha256) throw new AppError('model_invalid', `${label} changed while it was copied; run init again`);
    await rename(tmp, dest);
    return bytes;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function sameBlob(dest: string, src: string, sha256: string): Promise<boolean> {
  const [d, s] = await Promise.all([stat(dest).catch(() => undefined), stat(src)]);
  return d !== undefined && d.size === s.size && (await hashFile(dest)) === sha256;
}

/**
 * Copies the bundle's models/ folder (Ollama's own layout: manifests/ and
 * blobs/sha256-…) into `<ollamaDir>/models`, which Ollama reads as
 * OLLAMA_MODELS. Everything is checked before the first copy: each blob's
 * content must hash to its name (using `knownHashes` from the bundle check
 * when given) and each manifest's blobs must exist. Blobs already present
 * with the same size and hash are skipped; each copy is atomic; manifests
 * go last so Ollama never sees a model whose blobs are not all there.
 */
export async function importModels(bundleDir: string, ollamaDir: string, knownHashes?: ReadonlyMap<string, string>): Promise<ModelImport | undefined> {
  const srcDir = join(bundleDir, 'models');
  if (!(await exists(srcDir))) return undefined;
  if (!(await exists(ollamaDir))) throw new AppError('usage', `--ollama-dir ${ollamaDir} does not exist (scripts/init.sh mounts the ollama volume there)`);
  const destDir = join(ollamaDir, 'models');

  const { files, odd } = await listFiles(bundleDir, 'models');
  if (odd.length) throw invalid(`${odd[0]} is not a plain file`);
  const blobs = new Map<string, string>(); // blob file name → sha256
  const manifestRels: string[] = [];
  for (const file of files) {
    const rel = file.slice('models/'.length);
    const blob = /^blobs\/([^/]+)$/.exec(rel);
    if (blob) {
      const m = BLOB_NAME.exec(blob[1]!);
      if (!m) throw invalid(`${file} is not named sha256-<hex> as Ollama blobs are`);
      const actual = knownHashes?.get(file) ?? (await hashFile(join(bundleDir, file)));
      if (actual !== m[1]) throw invalid(`${file}: its content hashes to ${actual}, not the hash its name claims`);
      blobs.set(blob[1]!, actual);
    } else if (/^manifests\/.+\/.+/.test(rel)) manifestRels.push(rel);
    else throw invalid(`${file} is neither under models/blobs/ nor models/manifests/`);
  }
  const manifests: Manifest[] = [];
  for (const rel of manifestRels) {
    const manifest = await readManifest(srcDir, rel);
    for (const name of manifest.blobs) {
      if (!blobs.has(name) && !(await exists(join(destDir, 'blobs', name)))) {
        throw invalid(`models/${rel} needs blob ${name}, which is neither in the bundle nor in ${destDir}`);
      }
    }
    manifests.push(manifest);
  }

  const result: ModelImport = { models: manifests.map((m) => m.name), blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestsWritten: 0, manifestsKept: 0 };
  await mkdir(join(destDir, 'blobs'), { recursive: true });
  for (const [name, sha256] of blobs) {
    const src = join(srcDir, 'blobs', name);
    const dest = join(destDir, 'blobs', name);
    if (await sameBlob(dest, src, sha256)) result.blobsPresent++;
    else {
      result.bytesCopied += await copyBlob(src, dest, sha256, `models/blobs/${name}`);
      result.blobsCopied++;
    }
  }
  for (const manifest of manifests) {
    const dest = join(destDir, manifest.rel);
    const current = await readFile(dest).catch(() => undefined);
    if (current?.equals(manifest.bytes)) result.manifestsKept++;
    else {
      // A different manifest under the same name is an older build of that model: the signed bundle's wins.
      await mkdir(dirname(dest), { recursive: true });
      await writeFileAtomic(dest, manifest.bytes, 0o644);
      result.manifestsWritten++;
    }
  }
  return result;
}
