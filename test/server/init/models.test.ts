import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../server/kernel/errors.ts';
import { importModels } from '../../../server/init/models/import.ts';
import { modelName } from '../../../server/init/models/layout.ts';
import { makeTestBundle, manifestFor, sha256 } from '../../helpers/bundle.ts';
import { tempDir } from '../../helpers/env.ts';

const tmp = tempDir('onsite-models-');
afterAll(tmp.cleanup);
let n = 0;
const setup = () => {
  const bundle = makeTestBundle(join(tmp.dir, `b${++n}`));
  const ollama = join(tmp.dir, `o${n}`);
  mkdirSync(ollama);
  return { bundle, ollama };
};
const tree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

describe('importing the bundled Ollama models', () => {
  it('copies blobs and manifests into <ollama-dir>/models in Ollama’s layout', async () => {
    const { bundle, ollama } = setup();
    const r = await importModels(bundle.dir, ollama);
    expect(r).toMatchObject({ models: ['tiny:latest'], blobsCopied: 2, blobsPresent: 0, manifestsWritten: 1, manifestsKept: 0 });
    const modelFiles = [...bundle.files.keys()].filter((p) => p.startsWith('models/')).sort();
    expect(tree(ollama)).toEqual(modelFiles);
    for (const p of modelFiles) expect(readFileSync(join(ollama, p)).equals(bundle.files.get(p)!)).toBe(true);
    expect(statSync(join(ollama, modelFiles[0]!)).mode & 0o777).toBe(0o644);
  });

  it('a rerun skips identical blobs and manifests; a damaged copy is replaced', async () => {
    const { bundle, ollama } = setup();
    await importModels(bundle.dir, ollama);
    expect(await importModels(bundle.dir, ollama)).toMatchObject({ blobsCopied: 0, blobsPresent: 2, manifestsWritten: 0, manifestsKept: 1, bytesCopied: 0 });
    const blob = [...bundle.files.keys()].find((p) => p.startsWith('models/blobs/') && bundle.files.get(p)!.length === 100_000)!;
    const damaged = Buffer.from(bundle.files.get(blob)!);
    damaged[5] = damaged[5]! ^ 0xff; // same size, other content
    writeFileSync(join(ollama, blob), damaged);
    expect(await importModels(bundle.dir, ollama)).toMatchObject({ blobsCopied: 1, blobsPresent: 1 });
    expect(readFileSync(join(ollama, blob)).equals(bundle.files.get(blob)!)).toBe(true);
    expect(tree(ollama).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a blob whose content does not hash to its name, before copying anything', async () => {
    const { bundle, ollama } = setup();
    bundle.put(`models/blobs/sha256-${'0'.repeat(64)}`, randomBytes(10));
    await expect(importModels(bundle.dir, ollama)).rejects.toSatisfy(
      (e) =>
        isAppError(e, 'model_invalid') &&
        /models\/blobs\/sha256-0{64}: its content hashes to [0-9a-f]{64}, not the hash its name claims/.test((e as Error).message),
    );
    expect(readdirSync(ollama)).toEqual([]);
  });

  it('trusts the hashes from the bundle check instead of reading blobs twice', async () => {
    const { bundle, ollama } = setup();
    const blob = [...bundle.files.keys()].find((p) => p.startsWith('models/blobs/'))!;
    await expect(importModels(bundle.dir, ollama, new Map([[blob, 'f'.repeat(64)]]))).rejects.toThrow(/not the hash its name claims/);
  });

  it('refuses a manifest that needs a blob nobody has, and files outside the layout', async () => {
    const { bundle, ollama } = setup();
    bundle.put('models/manifests/registry.example/library/broken/1b', manifestFor(sha256('nothing'), []));
    await expect(importModels(bundle.dir, ollama)).rejects.toThrow(
      /models\/manifests\/registry\.example\/library\/broken\/1b needs blob sha256-[0-9a-f]{64}, which is neither in the bundle nor in/,
    );
    const other = setup();
    other.bundle.put('models/README', 'hi');
    await expect(importModels(other.bundle.dir, other.ollama)).rejects.toThrow(/models\/README is neither under models\/blobs\/ nor models\/manifests\//);
    const third = setup();
    third.bundle.put('models/manifests/registry.example/library/bad/1', 'not json');
    await expect(importModels(third.bundle.dir, third.ollama)).rejects.toThrow(/is not a JSON model manifest/);
    expect(readdirSync(ollama).concat(readdirSync(other.ollama), readdirSync(third.ollama))).toEqual([]);
  });

  it('a newer manifest under the same name replaces the old one; blobs already in Ollama satisfy a manifest', async () => {
    const { bundle, ollama } = setup();
    await importModels(bundle.dir, ollama);
    const rel = 'models/manifests/registry.example/library/tiny/latest';
    const blobs = [...bundle.files.keys()].filter((p) => p.startsWith('models/blobs/')).map((p) => p.slice('models/blobs/sha256-'.length));
    const next = manifestFor(blobs[1]!, [blobs[0]!]);
    const again = makeTestBundle(join(tmp.dir, `again${n}`));
    again.put(rel, next);
    expect(await importModels(again.dir, ollama)).toMatchObject({ manifestsWritten: 1 });
    expect(readFileSync(join(ollama, rel)).equals(next)).toBe(true);
  });

  it('names models as ollama list does, and a bundle without models/ imports nothing', async () => {
    expect(modelName('manifests/registry.example/library/llama3.2/3b')).toBe('llama3.2:3b');
    expect(modelName('manifests/registry.example/acme/coder/7b')).toBe('acme/coder:7b');
    expect(modelName('manifests/odd/7b')).toBe('odd:7b');
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    expect(await importModels(empty, empty)).toBeUndefined();
    expect(existsSync(join(empty, 'models'))).toBe(false);
  });
});
