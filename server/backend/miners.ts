import { randomUUID } from 'node:crypto';
import { AsyncQueue } from '../lib/async-queue.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, isAppError } from '../lib/errors.ts';
import type { LiveMiner, JobFrame, Registry } from '../miners/registry.ts';
import type { Scheduler } from '../miners/scheduler.ts';
import { EMBED_BATCH_MAX, type ServerFrame } from '../protocol/miner.ts';
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, ModelBackend } from './types.ts';

/** Attempts per request: a miner lost before the first token is replaced by another this many times. */
const MAX_ATTEMPTS = 3;

type Event = JobFrame | { type: 'lost'; reason: string };

/** Silence that ends a job: a model may take minutes to load before its first token, never that long between two. */
export interface JobSilence {
  beforeFirstMs: number;
  afterFirstMs: number;
}

/** The limits a server runs with (tests shorten them). */
export const JOB_SILENCE: JobSilence = { beforeFirstMs: 600_000, afterFirstMs: 120_000 };

// Runs one job on one miner, turning its frames into a queue; the slot was reserved by the scheduler.
function startJob(registry: Registry, m: LiveMiner, frame: (jobId: string) => ServerFrame, signal: AbortSignal | undefined, silence: JobSilence) {
  const jobId = `job_${randomUUID()}`;
  const events = new AsyncQueue<Event>();
  const onAbort = () => {
    registry.cancel(m, jobId);
    events.push({ type: 'lost', reason: 'stopped' });
  };
  // A miner whose Ollama stalls keeps its socket alive; only silence on the job itself shows it.
  let idle: NodeJS.Timeout | undefined;
  const watch = (ms: number) => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      registry.cancel(m, jobId);
      events.push({ type: 'lost', reason: `no output for ${ms / 1000} s` });
    }, ms);
  };
  const onFrame = (f: JobFrame) => {
    watch(silence.afterFirstMs);
    events.push(f);
  };
  registry.assign(m, jobId, { onFrame, onLost: (reason) => events.push({ type: 'lost', reason }) }, frame(jobId));
  watch(silence.beforeFirstMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    events,
    /** Frees the slot if the job is still running (the consumer stopped early). */
    finish() {
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      registry.cancel(m, jobId);
    },
  };
}

const reasonOf = (e: Extract<Event, { type: 'failed' | 'lost' }>) => (e.type === 'lost' ? e.reason : `${e.code}: ${e.message}`);
const abortError = (signal: AbortSignal) => (isAppError(signal.reason) ? signal.reason : new AppError('bad_request', 'stopped'));

/**
 * Runs models on the connected miners through the scheduler. Before the
 * first token a failing or vanished miner is replaced by another; after
 * it the request fails with `generation_failed` (details.partial true) so
 * the caller keeps what was produced and marks it.
 */
export function createMinerBackend(deps: { registry: Registry; scheduler: Scheduler; clock: Clock; queueWaitS: number; silence?: Partial<JobSilence> | undefined }): ModelBackend {
  const { registry, scheduler, clock } = deps;
  const silence: JobSilence = { ...JOB_SILENCE, ...deps.silence };

  async function acquire(model: string, tried: Set<string>, signal: AbortSignal | undefined, deadline: number) {
    return scheduler.acquire({ model, exclude: tried, signal, deadline });
  }

  // One job of at most EMBED_BATCH_MAX texts, retried on another miner like chat.
  async function embedBatch(req: EmbedRequest): Promise<EmbedResult> {
    const deadline = clock() + deps.queueWaitS * 1000;
    const tried = new Set<string>();
    let lastReason = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const m = await acquire(req.model, tried, req.signal, deadline);
      const job = startJob(registry, m, (jobId) => ({ type: 'embed', jobId, model: req.model, input: req.input, ...(req.numCtx ? { numCtx: req.numCtx } : {}) }), req.signal, silence);
      try {
        for await (const e of job.events) {
          if (e.type === 'embeddings') {
            if (e.embeddings.length !== req.input.length) throw new AppError('generation_failed', `the miner returned ${e.embeddings.length} vectors for ${req.input.length} inputs`);
            return { embeddings: e.embeddings, promptTokens: e.promptTokens, minerId: m.id };
          }
          if (e.type === 'failed' || e.type === 'lost') {
            if (req.signal?.aborted) throw abortError(req.signal);
            lastReason = reasonOf(e);
            break;
          }
        }
      } finally {
        job.finish();
      }
      tried.add(m.id);
    }
    throw new AppError('generation_failed', `no miner could embed after ${MAX_ATTEMPTS} attempts (${lastReason})`);
  }

  return {
    name: 'miners',
    async *chat(req: ChatRequest): AsyncIterable<ChatEvent> {
      const deadline = clock() + deps.queueWaitS * 1000;
      const tried = new Set<string>();
      let lastReason = '';
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const m = await acquire(req.model, tried, req.signal, deadline);
        const started = clock();
        const job = startJob(registry, m, (jobId) => ({ type: 'chat', jobId, model: req.model, messages: req.messages, options: req.options }), req.signal, silence);
        let produced = false;
        try {
          for await (const e of job.events) {
            if (e.type === 'chunk') {
              produced = true;
              yield { type: 'token', delta: e.delta };
            } else if (e.type === 'done') {
              yield { type: 'done', promptTokens: e.promptTokens, completionTokens: e.completionTokens, doneReason: e.doneReason, truncated: e.truncated, minerId: m.id, durationMs: clock() - started };
              return;
            } else if (e.type === 'failed' || e.type === 'lost') {
              if (req.signal?.aborted) throw abortError(req.signal);
              lastReason = reasonOf(e);
              if (produced) throw new AppError('generation_failed', `the miner failed mid-answer (${lastReason}); the partial answer was kept`, { partial: true, minerId: m.id });
              break; // retry on another miner
            }
          }
        } finally {
          job.finish();
        }
        tried.add(m.id);
      }
      throw new AppError('generation_failed', `no miner could answer after ${MAX_ATTEMPTS} attempts (${lastReason})`, { partial: false });
    },

    async embed(req: EmbedRequest): Promise<EmbedResult> {
      const out: EmbedResult = { embeddings: [], promptTokens: 0, minerId: undefined };
      for (let i = 0; i < req.input.length; i += EMBED_BATCH_MAX) {
        const r = await embedBatch({ ...req, input: req.input.slice(i, i + EMBED_BATCH_MAX) });
        out.embeddings.push(...r.embeddings);
        out.promptTokens += r.promptTokens;
        out.minerId = r.minerId;
      }
      return out;
    },

    async available() {
      const seen = new Map<string, Awaited<ReturnType<ModelBackend['available']>>[number]>();
      for (const m of registry.all()) for (const x of m.models) if (!seen.has(x.name)) seen.set(x.name, x);
      return [...seen.values()];
    },
  };
}
