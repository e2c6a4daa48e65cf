import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Orm } from '../../db/client.ts';
import { ingestionJobs } from '../../db/schema/index.ts';
import type { IngestionJob } from '../knowledge.types.ts';

/** The persistent ingestion queue: the only code touching `ingestion_jobs`. */
export function createQueueStore(orm: Orm) {
  // One job per document or space: a second enqueue resets the existing one to a fresh try.
  function enqueue(
    target: { kind: 'ingest'; documentId: number } | { kind: 'embed'; spaceId: number },
    column: typeof ingestionJobs.documentId | typeof ingestionJobs.spaceId,
    at: Date,
  ): void {
    orm
      .insert(ingestionJobs)
      .values({ ...target, state: 'queued', runAfter: at, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({
        target: column,
        targetWhere: sql`${column} IS NOT NULL`,
        set: { state: 'queued', attempts: 0, error: null, runAfter: at, updatedAt: at },
      })
      .run();
  }
  return {
    /** Queues a document's ingestion (again): one job per document, whatever state it was in. */
    enqueueDocument: (documentId: number, at: Date): void => enqueue({ kind: 'ingest', documentId }, ingestionJobs.documentId, at),
    /** Queues the filling of a building vector space (again). */
    enqueueSpace: (spaceId: number, at: Date): void => enqueue({ kind: 'embed', spaceId }, ingestionJobs.spaceId, at),
    /** Takes the oldest due job and marks it running, atomically; undefined when none is due. */
    claim(now: Date): IngestionJob | undefined {
      return orm.transaction(
        () => {
          const job = orm
            .select()
            .from(ingestionJobs)
            .where(and(eq(ingestionJobs.state, 'queued'), lte(ingestionJobs.runAfter, now)))
            .orderBy(asc(ingestionJobs.runAfter), asc(ingestionJobs.id))
            .limit(1)
            .get();
          if (!job) return undefined;
          orm
            .update(ingestionJobs)
            .set({ state: 'running', attempts: job.attempts + 1, updatedAt: now })
            .where(eq(ingestionJobs.id, job.id))
            .run();
          return { ...job, state: 'running' as const, attempts: job.attempts + 1 };
        },
        { behavior: 'immediate' },
      );
    },
    /** A finished job leaves the queue. */
    finish: (id: number): void => {
      orm.delete(ingestionJobs).where(eq(ingestionJobs.id, id)).run();
    },
    /** Puts a job back for a later try, with the reason; `keepAttempts: false` gives the try back (waiting is not failing). */
    retryLater: (id: number, error: string, runAfter: Date, at: Date, options: { keepAttempts?: boolean } = {}): void => {
      const attempts = options.keepAttempts === false ? { attempts: sql`max(${ingestionJobs.attempts} - 1, 0)` } : {};
      orm
        .update(ingestionJobs)
        .set({ state: 'queued', error, runAfter, updatedAt: at, ...attempts })
        .where(eq(ingestionJobs.id, id))
        .run();
    },
    /** Gives up on a job, keeping the reason (a retry queues it again). */
    fail: (id: number, error: string, at: Date): void => {
      orm.update(ingestionJobs).set({ state: 'failed', error, updatedAt: at }).where(eq(ingestionJobs.id, id)).run();
    },
    /** Jobs marked running: at start, those a process that died left behind. */
    running: (): IngestionJob[] => orm.select().from(ingestionJobs).where(eq(ingestionJobs.state, 'running')).orderBy(asc(ingestionJobs.id)).all(),
    /** Puts a running job back in the queue, due at `at`; its try stays counted. */
    requeue: (id: number, at: Date): void => {
      orm
        .update(ingestionJobs)
        .set({ state: 'queued', runAfter: at, updatedAt: at })
        .where(and(eq(ingestionJobs.id, id), eq(ingestionJobs.state, 'running')))
        .run();
    },
    /** Puts a job the server stopped on purpose back in the queue and gives its try back: a clean stop is no failed try. */
    release: (id: number, at: Date): void => {
      orm
        .update(ingestionJobs)
        .set({ state: 'queued', attempts: sql`max(${ingestionJobs.attempts} - 1, 0)`, runAfter: at, updatedAt: at })
        .where(and(eq(ingestionJobs.id, id), eq(ingestionJobs.state, 'running')))
        .run();
    },
    forDocument: (documentId: number): IngestionJob | undefined => orm.select().from(ingestionJobs).where(eq(ingestionJobs.documentId, documentId)).get(),
    forSpace: (spaceId: number): IngestionJob | undefined => orm.select().from(ingestionJobs).where(eq(ingestionJobs.spaceId, spaceId)).get(),
    /** Jobs by state, for the status page. */
    counts: (): Record<IngestionJob['state'], number> => {
      const out = { queued: 0, running: 0, failed: 0 };
      for (const r of orm
        .select({ state: ingestionJobs.state, n: sql<number>`count(*)` })
        .from(ingestionJobs)
        .groupBy(ingestionJobs.state)
        .all())
        out[r.state] = r.n;
      return out;
    },
    /** When the next queued job is due, if any. */
    nextDue: (): Date | undefined =>
      orm
        .select({ at: ingestionJobs.runAfter })
        .from(ingestionJobs)
        .where(eq(ingestionJobs.state, 'queued'))
        .orderBy(asc(ingestionJobs.runAfter))
        .limit(1)
        .get()?.at,
  };
}

/** The queue store. */
export type QueueStore = ReturnType<typeof createQueueStore>;
