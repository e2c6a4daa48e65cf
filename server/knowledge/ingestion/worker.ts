import { AppError, isAppError, type ErrorCode } from '../../kernel/errors.ts';
import type { Log } from '../../kernel/log.ts';
import type { QueueStore } from '../store/queue.store.ts';
import type { IngestionJob } from '../knowledge.types.ts';
import { recoverInterrupted } from './recover.ts';
import type { SpaceManager } from './spaces.ts';
import { chunkStep, embedStep, extractStep, type StepDeps } from './steps.ts';

/** Tries before a job is given up (a retry from the UI starts again). */
export const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const IDLE_POLL_MS = 2_000;

// Failures another try cannot fix: the file itself, or a model that returns the wrong vectors.
const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  'unsupported_type',
  'extract_failed',
  'extract_too_large',
  'extract_timeout',
  'extract_out_of_memory',
  'bad_archive',
  'embedding_dimension_mismatch',
  'page_refused',
  'validation_failed',
]);
// A document past a reading limit or with a malformed archive says which, by code, before the message.
const NAMED: ReadonlySet<ErrorCode> = new Set(['extract_too_large', 'extract_timeout', 'extract_out_of_memory', 'bad_archive']);
// Waiting, not failing: no miner or no usable model yet. These retry (backoff capped at 5 min)
// without using up tries, so an outage or a model change never fails documents for good.
const WAITING: ReadonlySet<ErrorCode> = new Set([
  'no_miner',
  'miners_busy',
  'no_embedding_model',
  'model_unknown',
  'model_disabled',
  'browser_unavailable',
  'browser_busy',
]);

/** Backoff before try `attempt + 1`: 5 s doubling to 5 min. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
}

/**
 * The background worker draining the ingestion queue: up to `concurrency`
 * jobs at once, each taking its document through the steps that are not
 * done yet (see steps.ts), so a job resumed after a restart continues where
 * the last one stopped. Failures keep their reason on the document; those
 * another try may fix are retried with backoff.
 */
export function createIngestionWorker(deps: StepDeps & { queue: QueueStore; spaces: SpaceManager; log: Log; concurrency: number }) {
  const { queue, documents, spaces, clock, log } = deps;
  const running = new Map<number, { controller: AbortController; done: Promise<void>; documentId: number | null }>();
  let stopped = true;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  async function ingest(job: IngestionJob, signal: AbortSignal): Promise<void> {
    const id = job.documentId!;
    const doc = documents.get(id);
    if (!doc) return;
    const at = () => new Date(clock());
    documents.update(id, { status: 'processing', stage: 'extract', updatedAt: at() });
    const text = await extractStep(deps, doc, signal);
    documents.update(id, { stage: 'chunk', updatedAt: at() });
    chunkStep(deps, documents.get(id)!, text);
    const targets = spaces.targets();
    if (targets.length === 0)
      throw new AppError(
        'no_embedding_model',
        'no embedding model is set up yet; an admin adds one on the Models page (the document can already be found by keyword)',
      );
    const [active, building] = targets;
    documents.update(id, { stage: 'embed', updatedAt: at() });
    // The space being built first: it is the future, and while it is built the active space's
    // model may already be gone from the catalog; then the active one is skipped (it is retired soon).
    if (building) await embedStep(deps, building, signal, id);
    try {
      await embedStep(deps, active!, signal, id, () => documents.update(id, { embeddedChunks: deps.vectors.embeddedOf(active!.id, id), updatedAt: at() }));
    } catch (err) {
      if (!building || !isAppError(err) || !['model_unknown', 'model_disabled', 'embedding_dimension_mismatch'].includes(err.code)) throw err;
    }
    documents.update(id, { status: 'ready', stage: 'done', error: null, embeddedChunks: deps.vectors.embeddedOf(active!.id, id), updatedAt: at() });
  }

  async function fill(job: IngestionJob, signal: AbortSignal): Promise<void> {
    const space = deps.vectors.get(job.spaceId!);
    if (!space || space.state === 'retired') return;
    await embedStep(deps, space, signal);
    if (space.state === 'building' && deps.vectors.promote(space.id, new Date(clock()))) {
      documents.recountEmbedded(space.id);
      deps.vectors.dropRetired();
      log.info({ space: space.id, model: space.model }, 'vector space rebuilt and now answers queries');
    }
  }

  function failed(job: IngestionJob, err: unknown): void {
    const now = new Date(clock());
    const code = isAppError(err) ? err.code : 'internal';
    const message = isAppError(err) ? err.message : 'internal error (see the server log)';
    const reason = NAMED.has(code) ? `${code}: ${message}` : message;
    if (!isAppError(err)) log.error({ err, job: job.id }, 'ingestion job failed unexpectedly');
    if (WAITING.has(code)) {
      queue.retryLater(job.id, reason, new Date(now.getTime() + backoffMs(job.attempts)), now, { keepAttempts: false });
      if (job.documentId) documents.update(job.documentId, { error: `waiting: ${reason}`, updatedAt: now });
      return;
    }
    const permanent = PERMANENT.has(code) || job.attempts >= MAX_ATTEMPTS;
    if (permanent) {
      queue.fail(job.id, reason, now);
      if (job.documentId) documents.update(job.documentId, { status: 'failed', error: reason, updatedAt: now });
      log.warn({ job: job.id, document: job.documentId, space: job.spaceId, code }, 'ingestion failed');
      return;
    }
    const runAfter = new Date(now.getTime() + backoffMs(job.attempts));
    queue.retryLater(job.id, reason, runAfter, now);
    if (job.documentId) documents.update(job.documentId, { error: `will retry (try ${job.attempts} of ${MAX_ATTEMPTS} failed): ${reason}`, updatedAt: now });
  }

  function releaseQuietly(id: number): void {
    try {
      queue.release(id, new Date(clock()));
    } catch (err) {
      // Left running: the next start counts it as a try that died, which is the safe side.
      log.error({ err, job: id }, 'could not put an ingestion job back in the queue');
    }
  }

  async function run(job: IngestionJob, controller: AbortController): Promise<void> {
    try {
      if (job.kind === 'ingest') await ingest(job, controller.signal);
      else await fill(job, controller.signal);
      queue.finish(job.id);
    } catch (err) {
      if (controller.signal.aborted) {
        // Stopping the server puts the job back with its try given back (a deleted document's job is gone).
        if (stopped) releaseQuietly(job.id);
        return;
      }
      try {
        failed(job, err);
      } catch (bookkeeping) {
        // The database refused even the failure record (disk full, locked): the job stays
        // `running` and the next start queues it again. Never let it take the server down.
        log.error({ err: bookkeeping, job: job.id }, 'could not record an ingestion failure');
      }
    }
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      try {
        spaces.reconcile();
        while (running.size < deps.concurrency) {
          const job = queue.claim(new Date(clock()));
          if (!job) break;
          const controller = new AbortController();
          const done = run(job, controller).finally(() => {
            running.delete(job.id);
            wake?.();
          });
          running.set(job.id, { controller, done, documentId: job.documentId });
        }
      } catch (err) {
        log.error({ err }, 'ingestion queue check failed');
      }
      if (stopped) break;
      let wait = IDLE_POLL_MS;
      try {
        const due = queue.nextDue();
        if (due) wait = Math.max(0, Math.min(IDLE_POLL_MS, due.getTime() - clock()));
      } catch (err) {
        log.error({ err }, 'ingestion queue check failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, running.size >= deps.concurrency ? IDLE_POLL_MS : wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    /** Starts draining; jobs a process that died left running are queued again first, or failed (recover.ts). */
    start(): void {
      if (!stopped) return;
      stopped = false;
      const { requeued, failed } = recoverInterrupted({ queue, documents, clock, log, maxAttempts: MAX_ATTEMPTS });
      if (requeued + failed > 0) log.info({ requeued, failed }, 'ingestion resumed after a restart');
      loop = drain().catch((err: unknown) => log.error({ err }, 'the ingestion worker stopped unexpectedly'));
    },
    /** Looks at the queue now (a document was added, the catalog changed). */
    kick(): void {
      wake?.();
    },
    /** Stops: running jobs are aborted (their extraction processes killed) and queued again for the next start. */
    async stop(): Promise<void> {
      stopped = true;
      for (const r of running.values()) r.controller.abort();
      wake?.();
      await loop;
      await Promise.all([...running.values()].map((r) => r.done));
    },
    /** Aborts the running job of a document (it is being deleted). */
    cancel(documentId: number): void {
      for (const [, r] of running) if (r.documentId === documentId) r.controller.abort();
    },
    /** Jobs running now. */
    busy: (): number => running.size,
  };
}

/** The ingestion worker. */
export type IngestionWorker = ReturnType<typeof createIngestionWorker>;
