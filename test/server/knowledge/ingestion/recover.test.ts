// What a start does with the ingestion jobs a process that died left running
// (server/knowledge/ingestion/recover.ts), on a real SQLite file. The real
// kills are in test/e2e/extraction.e2e.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { EXTRACT_CRASH_LIMIT, recoverInterrupted } from '../../../../server/knowledge/ingestion/recover.ts';
import { MAX_ATTEMPTS } from '../../../../server/knowledge/ingestion/worker.ts';
import { createTestServer, type TestServer } from '../../../helpers/server.ts';
import { knowledgeStores } from '../../../helpers/knowledge.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

describe('recovery of jobs a dead process left running', () => {
  it('fails a document after the crash limit in the extract stage, any stage after the attempt limit, and queues the rest again', async () => {
    s = await createTestServer();
    const { collections, documents, queue } = knowledgeStores(s.db);
    const now = new Date();
    const c = collections.insert({ name: 'c', scope: 'shared', ownerId: null, createdBy: null, createdAt: now, updatedAt: now });
    // Each job claimed `attempts` times, the last claim by the process that died.
    const running = (title: string, stage: string, attempts: number) => {
      const d = documents.insert({ collectionId: c.id, title, status: 'processing', stage, createdAt: now, updatedAt: now });
      queue.enqueueDocument(d.id, now);
      for (let i = 0; i < attempts; i++) {
        const job = queue.claim(now)!;
        if (i < attempts - 1) queue.requeue(job.id, now);
      }
      return d.id;
    };
    const crashLooping = running('crashes while read', 'extract', EXTRACT_CRASH_LIMIT);
    const once = running('crashed once while read', 'extract', EXTRACT_CRASH_LIMIT - 1);
    const embedding = running('crashes while embedded', 'embed', EXTRACT_CRASH_LIMIT);
    const worn = running('crashed embedding too often', 'embed', MAX_ATTEMPTS);
    expect(queue.running()).toHaveLength(4);

    expect(recoverInterrupted({ queue, documents, clock: Date.now, log: s.logs.log, maxAttempts: MAX_ATTEMPTS })).toEqual({ requeued: 2, failed: 2 });
    expect(documents.get(crashLooping)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^crashed_during_extraction: the server stopped 3 times while reading this document/),
    });
    expect(queue.forDocument(crashLooping)).toMatchObject({ state: 'failed', attempts: 3 });
    expect(documents.get(worn)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^the server stopped 8 times while ingesting this/) });
    for (const id of [once, embedding]) {
      expect(queue.forDocument(id)).toMatchObject({ state: 'queued', attempts: id === once ? 2 : 3 });
      expect(documents.get(id)?.status).toBe('processing');
    }
  });
});
