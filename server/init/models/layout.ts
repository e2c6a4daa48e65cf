import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../kernel/errors.ts';

/** A blob file name in Ollama's store: `sha256-<hex>`, the hex being the SHA-256 of the content. */
export const BLOB_NAME = /^sha256-([0-9a-f]{64})$/;

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** One model manifest of the bundle and the blobs it needs. */
export interface Manifest {
  /** Path relative to the models folder, e.g. `manifests/<registry>/library/llama3.2/3b`. */
  rel: string;
  /** The model as `ollama list` names it. */
  name: string;
  bytes: Buffer;
  /** Blob file names (`sha256-<hex>`) the manifest refers to. */
  blobs: string[];
}

const invalid = (message: string) => new AppError('model_invalid', `${message}; no model file was copied`);

/**
 * The model name for a manifest path `manifests/<registry>/<namespace>/<model>/<tag>`,
 * as `ollama list` shows models pulled from its default registry: without
 * the registry, and without the namespace when it is `library`. A bundle's
 * models are the vendor's pulls from that registry; its host name is not
 * written here (nor anywhere in this repository).
 */
export function modelName(rel: string): string {
  const parts = rel.split('/').slice(1); // drop "manifests"
  const tag = parts.pop();
  const path = parts.length === 3 ? (parts[1] === 'library' ? parts.slice(2) : parts.slice(1)) : parts;
  return `${path.join('/')}:${tag}`;
}

/** Reads and checks one manifest: Ollama's JSON with a config blob and layers, each by digest. */
export async function readManifest(modelsDir: string, rel: string): Promise<Manifest> {
  const bytes = await readFile(join(modelsDir, rel));
  let doc: { config?: { digest?: unknown }; layers?: Array<{ digest?: unknown }> };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw invalid(`models/${rel} is not a JSON model manifest`);
  }
  const digests = [doc?.config?.digest, ...(Array.isArray(doc?.layers) ? doc.layers.map((l) => l?.digest) : [])];
  if (!doc?.config || !Array.isArray(doc.layers) || digests.some((d) => typeof d !== 'string' || !DIGEST.test(d))) {
    throw invalid(`models/${rel} is not a model manifest (config and layers with sha256 digests)`);
  }
  const blobs = [...new Set(digests.map((d) => `sha256-${DIGEST.exec(d as string)![1]}`))];
  return { rel, name: modelName(rel), bytes, blobs };
}
