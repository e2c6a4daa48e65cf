import type { Log } from '../server/kernel/log.ts';
import type { JobFailureCode, MinerFrame } from '../server/kernel/protocol/miner.ts';
import { classifyOllamaError } from './ollama.ts';
import { runChat, runEmbed, type ChatJob, type EmbedJob } from './run-job.ts';

/** Why a job cannot start now; undefined when it may. */
export type Refusal = { code: JobFailureCode; message: string } | undefined;

/** What the job runner needs. */
export interface JobRunnerDeps {
  ollamaHost: string;
  capacity: number;
  log: Log;
  send(frame: MinerFrame): void;
  /** Checks the miner's state (status active, Ollama healthy) before a job starts. */
  admit(): Refusal;
}

/** Runs jobs on Ollama within capacity, and cancels them. */
export interface JobRunner {
  /** Starts a job, or answers `failed` at once when it cannot run. */
  start(job: ChatJob | EmbedJob): void;
  /** Aborts one job's Ollama request and answers `failed`/`cancelled`; unknown ids are ignored (it may just have finished). */
  cancel(jobId: string): void;
  /** Aborts every job without answering: the socket they belong to is gone, so the server retries them elsewhere. */
  abortAll(): void;
  /** Number of running jobs. */
  inflight(): number;
  /** Resolves once every running job has settled. */
  settled(): Promise<void>;
}

// Abort reasons: a cancel is answered, a lost socket or a stop is not.
const CANCELLED = 'cancelled';
const SILENT = 'silent';

/** Creates the job runner. */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const fail = (jobId: string, code: JobFailureCode, message: string) => deps.send({ type: 'failed', jobId, code, message: message.slice(0, 2000) });

  async function run(job: ChatJob | EmbedJob, controller: AbortController): Promise<void> {
    const log = deps.log.child({ jobId: job.jobId, model: job.model });
    const ctx = { ollamaHost: deps.ollamaHost, signal: controller.signal, send: deps.send, log };
    try {
      if (job.type === 'chat') await runChat(job, ctx);
      else await runEmbed(job, ctx);
    } catch (err) {
      if (controller.signal.aborted) {
        if (controller.signal.reason === CANCELLED) {
          log.info('job cancelled');
          fail(job.jobId, 'cancelled', 'cancelled by the server');
        } else {
          log.info('job aborted: connection to the server lost or miner stopping');
        }
        return;
      }
      const failure = classifyOllamaError(err);
      log.warn({ code: failure.code, reason: failure.message }, 'job failed');
      fail(job.jobId, failure.code, failure.message);
    } finally {
      running.delete(job.jobId);
    }
  }

  return {
    start(job) {
      if (running.has(job.jobId)) return fail(job.jobId, 'bad_job', `job ${job.jobId} is already running`);
      if (running.size >= deps.capacity) return fail(job.jobId, 'bad_job', `at capacity (${deps.capacity} jobs running)`);
      const refusal = deps.admit();
      if (refusal) return fail(job.jobId, refusal.code, refusal.message);
      const controller = new AbortController();
      const entry = { controller, done: Promise.resolve() };
      running.set(job.jobId, entry);
      entry.done = run(job, controller);
    },
    cancel(jobId) {
      const entry = running.get(jobId);
      if (!entry) {
        deps.log.debug({ jobId }, 'cancel for a job that is not running');
        return;
      }
      entry.controller.abort(CANCELLED);
    },
    abortAll() {
      for (const { controller } of running.values()) controller.abort(SILENT);
    },
    inflight: () => running.size,
    async settled() {
      await Promise.all([...running.values()].map((e) => e.done));
    },
  };
}
