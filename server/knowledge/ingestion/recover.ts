import type { Clock } from '../../kernel/clock.ts';
import type { Log } from '../../kernel/log.ts';
import type { DocumentsStore } from '../store/documents.store.ts';
import type { QueueStore } from '../store/queue.store.ts';

/**
 * Tries a document may take while the process dies during its extraction
 * before it is failed with `crashed_during_extraction`: a document that
 * kills the server must not kill it again on every start.
 */
export const EXTRACT_CRASH_LIMIT = 3;

/**
 * Deals with the jobs a process that died left `running` (a clean stop
 * puts its jobs back itself, see the worker's `stop`). Each such try was
 * counted when it was claimed. A job that died in the extract stage
 * {@link EXTRACT_CRASH_LIMIT} times, or in any stage `maxAttempts` times,
 * is failed for good with the reason on its document (a user can retry
 * it); the others go back to the queue. Returns how many of each.
 */
export function recoverInterrupted(deps: { queue: QueueStore; documents: DocumentsStore; clock: Clock; log: Log; maxAttempts: number }): {
  requeued: number;
  failed: number;
} {
  const { queue, documents, log } = deps;
  const now = new Date(deps.clock());
  let requeued = 0;
  let failed = 0;
  for (const job of queue.running()) {
    const doc = job.documentId === null ? undefined : documents.get(job.documentId);
    let reason: string | undefined;
    if (doc?.stage === 'extract' && job.attempts >= EXTRACT_CRASH_LIMIT) {
      reason = `crashed_during_extraction: the server stopped ${job.attempts} times while reading this document, so it is not read again by itself; retry it once the cause is known`;
    } else if (job.attempts >= deps.maxAttempts) {
      reason = `the server stopped ${job.attempts} times while ingesting this, so it is not tried again by itself; retry it once the cause is known`;
    }
    documents.transaction(() => {
      if (!reason) return queue.requeue(job.id, now);
      queue.fail(job.id, reason, now);
      if (doc) documents.update(doc.id, { status: 'failed', error: reason, updatedAt: now });
    });
    if (reason) {
      failed++;
      log.warn(
        { job: job.id, document: job.documentId, space: job.spaceId, attempts: job.attempts, stage: doc?.stage },
        'ingestion job failed: the server stopped during it too often',
      );
    } else requeued++;
  }
  return { requeued, failed };
}
