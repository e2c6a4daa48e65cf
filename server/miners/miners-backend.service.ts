import { AppError, isAppError } from '../kernel/errors.ts';
import type { Clock } from '../kernel/clock.ts';
import type { LiveMiner, Registry } from './registry.service.ts';
import type { Scheduler } from './scheduler.ts';
import { EMBED_BATCH_MAX } from '../kernel/protocol/miner.ts';
import { JOB_SILENCE, startJob, type JobEvent, type JobLimits, type JobSilence } from './jobs.ts';
import type { MinerProbation } from './probation.ts';
import { boundChatUsage, boundEmbedUsage, type BoundedUsage, type UsageClamp } from './usage-bounds.ts';
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, ModelBackend } from '../backend/backend.types.ts';

export { JOB_SILENCE, type JobSilence } from './jobs.ts';

/** Attempts per request: a miner lost before the first token is replaced by another this many times. */
const MAX_ATTEMPTS = 3;

const reasonOf = (e: Extract<JobEvent, { type: 'failed' | 'lost' }>) => (e.type === 'lost' ? e.reason : `${e.code}: ${e.message}`);
const abortError = (signal: AbortSignal) => (isAppError(signal.reason) ? signal.reason : new AppError('bad_request', 'stopped'));

/**
 * Runs models on the connected miners through the scheduler. Before the
 * first token a failing or vanished miner is replaced by another (one
 * silent past `beforeFirstMs` is also put on probation); after it the
 * request fails with `generation_failed` (details.partial true) so the
 * caller keeps what was produced and marks it. The token counts a miner
 * reports are bounded by what the server sent and saw streamed; a count out
 * of bounds is charged at the bound and reported to `onUsageClamped`.
 */
export function createMinerBackend(deps: {
  registry: Registry;
  scheduler: Scheduler;
  clock: Clock;
  queueWaitS: number;
  silence?: Partial<JobSilence> | undefined;
  probation?: MinerProbation | undefined;
  onUsageClamped?: ((c: UsageClamp) => void) | undefined;
}): ModelBackend {
  const { registry, scheduler, clock } = deps;
  const silence: JobSilence = { ...JOB_SILENCE, ...deps.silence };
  const chatLimits: JobLimits = { firstMs: silence.beforeFirstMs, nextMs: silence.afterFirstMs, busyMaxMs: silence.busyMaxMs };
  const embedLimits: JobLimits = { firstMs: silence.embedMs, nextMs: silence.embedMs };

  async function acquire(model: string, tried: Set<string>, signal: AbortSignal | undefined, deadline: number) {
    return scheduler.acquire({ model, exclude: tried, signal, deadline });
  }
  const charged = (usage: BoundedUsage, m: LiveMiner, model: string, kind: UsageClamp['kind']) => {
    if (usage.clamped) deps.onUsageClamped?.({ minerId: m.id, workerId: m.workerId, model, kind, usage });
    return usage;
  };

  // One job of at most EMBED_BATCH_MAX texts, retried on another miner like chat.
  async function embedBatch(req: EmbedRequest): Promise<EmbedResult> {
    const deadline = clock() + deps.queueWaitS * 1000;
    const tried = new Set<string>();
    let lastReason = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const m = await acquire(req.model, tried, req.signal, deadline);
      const job = startJob(
        registry,
        m,
        (jobId) => ({ type: 'embed', jobId, model: req.model, input: req.input, ...(req.numCtx ? { numCtx: req.numCtx } : {}) }),
        req.signal,
        embedLimits,
      );
      try {
        for await (const e of job.events) {
          if (e.type === 'embeddings') {
            if (e.embeddings.length !== req.input.length)
              throw new AppError('generation_failed', `the miner returned ${e.embeddings.length} vectors for ${req.input.length} inputs`);
            return {
              embeddings: e.embeddings,
              promptTokens: charged(boundEmbedUsage(e.promptTokens, req.input, req.numCtx), m, req.model, 'embed').promptTokens,
              minerId: m.id,
            };
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
        const job = startJob(
          registry,
          m,
          (jobId) => ({ type: 'chat', jobId, model: req.model, messages: req.messages, options: req.options }),
          req.signal,
          chatLimits,
        );
        // What the server saw streamed, to bound the counts the miner reports.
        const seen = { messages: req.messages, options: req.options, chunks: 0, bytes: 0 };
        try {
          for await (const e of job.events) {
            if (e.type === 'chunk') {
              seen.chunks += 1;
              seen.bytes += Buffer.byteLength(e.delta, 'utf8');
              yield { type: 'token', delta: e.delta };
            } else if (e.type === 'done') {
              const usage = charged(boundChatUsage(e, seen), m, req.model, 'chat');
              yield {
                type: 'done',
                promptTokens: usage.promptTokens,
                completionTokens: usage.completionTokens,
                doneReason: e.doneReason,
                truncated: e.truncated,
                minerId: m.id,
                durationMs: clock() - started,
              };
              return;
            } else if (e.type === 'failed' || e.type === 'lost') {
              if (req.signal?.aborted) throw abortError(req.signal);
              lastReason = reasonOf(e);
              if (e.type === 'lost' && e.beforeFirst)
                deps.probation?.start(m, {
                  model: req.model,
                  numCtx: req.options.num_ctx,
                  reason: `took a chat job and sent no first token within ${silence.beforeFirstMs / 1000} s`,
                });
              if (seen.chunks > 0)
                throw new AppError('generation_failed', `the miner failed mid-answer (${lastReason}); the partial answer was kept`, {
                  partial: true,
                  minerId: m.id,
                });
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
