import type { ChatResponse } from 'ollama';
import type { Log } from '../server/kernel/log.ts';
import type { MinerFrame, ServerFrame } from '../server/kernel/protocol/miner.ts';
import { createOllamaClient } from './ollama.ts';

/** A chat job as the server sends it. */
export type ChatJob = Extract<ServerFrame, { type: 'chat' }>;
/** An embedding job as the server sends it. */
export type EmbedJob = Extract<ServerFrame, { type: 'embed' }>;

/** What a running job needs: where Ollama is, how to stop, where results go. */
export interface JobContext {
  ollamaHost: string;
  signal: AbortSignal;
  send(frame: MinerFrame): void;
  log: Log;
}

/**
 * The options without their unset fields: the protocol's types allow an
 * explicit `undefined`, the `ollama` client's do not (a frame parsed from
 * JSON never holds one, so this only drops what is not there).
 */
function setOptions<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Most inputs in one `/api/embed` call; larger jobs are split so one call stays bounded. */
export const EMBED_BATCH = 64;

/**
 * Runs a chat job: streams Ollama's reply as `chunk` frames, then sends
 * `done` with token counts. Throws on any failure (the caller reports it);
 * aborting `ctx.signal` aborts the Ollama request, before or after its
 * first token.
 */
export async function runChat(job: ChatJob, ctx: JobContext): Promise<void> {
  const started = performance.now();
  const client = createOllamaClient(ctx.ollamaHost, { signal: ctx.signal });
  const stream = await client.chat({ model: job.model, messages: job.messages, stream: true, options: setOptions(job.options) });
  const abort = () => stream.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  let final: ChatResponse | undefined;
  try {
    for await (const part of stream) {
      const delta = part.message?.content;
      if (delta) ctx.send({ type: 'chunk', jobId: job.jobId, delta });
      if (part.done) final = part;
    }
  } finally {
    ctx.signal.removeEventListener('abort', abort);
  }
  if (!final) throw new Error('Ollama ended the stream without its final message');
  const promptTokens = final.prompt_eval_count ?? 0;
  const completionTokens = final.eval_count ?? 0;
  // Ollama cuts an over-long prompt silently; the count reaching num_ctx is the only trace.
  const truncated = promptTokens >= job.options.num_ctx;
  if (truncated) {
    ctx.log.warn(
      { jobId: job.jobId, model: job.model, promptTokens, numCtx: job.options.num_ctx },
      'prompt filled the context window: Ollama truncated it, the answer may ignore the start of the conversation',
    );
  }
  ctx.send({
    type: 'done',
    jobId: job.jobId,
    promptTokens,
    completionTokens,
    doneReason: (final.done_reason || 'stop').slice(0, 32),
    truncated,
    durationMs: Math.round(performance.now() - started),
  });
  ctx.log.info({ jobId: job.jobId, model: job.model, promptTokens, completionTokens, durationMs: Math.round(performance.now() - started) }, 'chat job done');
}

/**
 * Runs an embedding job in batches of at most {@link EMBED_BATCH} inputs
 * (one call when it fits) and sends one `embeddings` frame. Throws on any
 * failure; aborting `ctx.signal` aborts the current Ollama call.
 */
export async function runEmbed(job: EmbedJob, ctx: JobContext): Promise<void> {
  const client = createOllamaClient(ctx.ollamaHost, { signal: ctx.signal });
  const embeddings: number[][] = [];
  let promptTokens = 0;
  for (let i = 0; i < job.input.length; i += EMBED_BATCH) {
    const batch = job.input.slice(i, i + EMBED_BATCH);
    const res = await client.embed({
      model: job.model,
      input: batch,
      truncate: true,
      ...(job.numCtx ? { options: { num_ctx: job.numCtx } } : {}),
    });
    if (!Array.isArray(res.embeddings) || res.embeddings.length !== batch.length) {
      throw new Error(`Ollama returned ${res.embeddings?.length ?? 0} embeddings for ${batch.length} inputs`);
    }
    embeddings.push(...res.embeddings);
    promptTokens += res.prompt_eval_count ?? 0;
  }
  ctx.send({ type: 'embeddings', jobId: job.jobId, embeddings, promptTokens, truncated: false });
  ctx.log.debug({ jobId: job.jobId, model: job.model, inputs: job.input.length, promptTokens }, 'embed job done');
}
