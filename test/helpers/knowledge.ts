import { expect } from 'vitest';
import type { Db } from '../../server/db/client.ts';
import { createCollectionsStore } from '../../server/knowledge/store/collections.store.ts';
import { createDocumentsStore } from '../../server/knowledge/store/documents.store.ts';
import { createKeywordStore } from '../../server/knowledge/store/keyword.store.ts';
import { createQueueStore } from '../../server/knowledge/store/queue.store.ts';
import { createVectorsStore } from '../../server/knowledge/store/vectors.store.ts';
import type { JsonResponse, TestClient } from './client.ts';
import { until } from './stack.ts';

/**
 * The knowledge base's real stores over a server's database, for tests that
 * seed or check what is stored (production code exports no store handle).
 */
export function knowledgeStores(db: Db) {
  return {
    collections: createCollectionsStore(db.orm),
    documents: createDocumentsStore(db.orm),
    vectors: createVectorsStore(db.orm, db.sqlite),
    queue: createQueueStore(db.orm),
    keyword: createKeywordStore(db.sqlite),
  };
}

/** A file to upload: its name, bytes and (optional) declared type. */
export interface TestFile {
  name: string;
  bytes: Uint8Array | string;
  type?: string;
}

/** Uploads files to a collection as multipart/form-data, the way the UI does. */
export async function upload(client: TestClient, collectionId: number, files: TestFile[]): Promise<JsonResponse> {
  const form = new FormData();
  for (const f of files) form.append('file', new Blob([typeof f.bytes === 'string' ? f.bytes : Buffer.from(f.bytes)], { type: f.type ?? '' }), f.name);
  const res = await client.raw('POST', `/api/collections/${collectionId}/documents`, undefined, { body: form });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** A document as the API shows it (the fields tests read). */
export interface ApiDocument {
  id: number;
  title: string;
  status: string;
  stage: string;
  error: string | null;
  chunks: number;
  embeddedChunks: number;
  format: string | null;
}

/** Makes a collection and returns its id. */
export async function makeCollection(client: TestClient, name: string, scope: 'private' | 'shared' = 'private'): Promise<number> {
  const r = await client.post('/api/collections', { name, scope });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}

/** Waits until every document of a collection is ready (or one failed: then throws with its reason). */
export async function waitReady(client: TestClient, collectionId: number, count: number, timeoutMs = 30_000): Promise<ApiDocument[]> {
  let docs: ApiDocument[] = [];
  await until(
    async () => {
      docs = (await client.get(`/api/collections/${collectionId}`)).body.documents as ApiDocument[];
      const failed = docs.find((d) => d.status === 'failed');
      if (failed) throw new Error(`document ${failed.title} failed: ${failed.error}`);
      return docs.length === count && docs.every((d) => d.status === 'ready');
    },
    timeoutMs,
    `${count} documents ready in collection ${collectionId}`,
  );
  return docs;
}
