import type { ChatDone, ChatEvent, EmbedResult, ModelBackend } from '../backend/backend.types.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { Log } from '../kernel/log.ts';
import type { CatalogModel } from '../models/models.types.ts';
import type { ModelService } from '../models/models.service.ts';
import type { ChatMessage } from '../kernel/protocol/miner.ts';
import type { UsageService } from '../usage/usage.service.ts';

/** Who asks, and through what, for the ledger and budgets. */
export interface Requester {
  userId: string;
  apiKeyId?: string | null | undefined;
  source: 'chat' | 'api' | 'embedding' | 'ingest';
}

/** Sampling settings a caller may choose; the context length always comes from the catalog. */
export interface Sampling {
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  seed?: number | undefined;
  stop?: string[] | undefined;
}

/** A started generation: the catalog model it runs on and its events. */
export interface Generation {
  model: CatalogModel;
  events: AsyncIterable<ChatEvent>;
}

/**
 * The one way model work is started, for the chat UI and the OpenAI API
 * alike: resolves the catalog model, checks the budget and the stream
 * limit, runs the backend, and writes one ledger row however it ends.
 */
export function createEngine(deps: { backend: ModelBackend; models: ModelService; usage: UsageService; clock: Clock; log: Log; maxStreams: number }) {
  const { backend, models, usage, clock, log } = deps;
  let streams = 0;

  async function* run(who: Requester, model: CatalogModel, messages: ChatMessage[], s: Sampling, signal: AbortSignal | undefined): AsyncGenerator<ChatEvent> {
    streams += 1; // counted once the stream runs, so an unconsumed generation holds no slot
    const started = clock();
    let completion = 0;
    let done: ChatDone | undefined;
    let outcome: 'ok' | 'failed' | 'stopped' = 'failed';
    try {
      const options = {
        num_ctx: model.contextLength,
        ...(s.maxTokens !== undefined ? { num_predict: s.maxTokens } : {}),
        ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
        ...(s.topP !== undefined ? { top_p: s.topP } : {}),
        ...(s.seed !== undefined ? { seed: s.seed } : {}),
        ...(s.stop?.length ? { stop: s.stop } : {}),
      };
      for await (const e of backend.chat({ model: model.name, messages, options, signal })) {
        if (e.type === 'token') completion += 1;
        else done = e;
        yield e;
      }
      outcome = 'ok';
      if (done?.truncated)
        log.warn({ model: model.name, promptTokens: done.promptTokens, contextLength: model.contextLength }, 'prompt cut to fit the context window');
    } catch (err) {
      outcome = signal?.aborted ? 'stopped' : 'failed';
      throw err;
    } finally {
      streams -= 1;
      // Stopped or failed requests still cost what they produced.
      usage.record({
        userId: who.userId,
        apiKeyId: who.apiKeyId ?? null,
        source: who.source,
        model: model.name,
        minerId: done?.minerId ?? null,
        promptTokens: done?.promptTokens ?? 0,
        completionTokens: done?.completionTokens ?? completion,
        durationMs: clock() - started,
        outcome: signal?.aborted && outcome !== 'ok' ? 'stopped' : outcome,
      });
    }
  }

  return {
    /** The catalog chat model a name (or the default) stands for. */
    resolveChatModel: (userId: string, name: string | undefined): CatalogModel => models.resolveFor(userId, name, 'chat'),

    /** Runs the checks `chat` runs, without starting anything (so callers write nothing on refusal). */
    precheck(userId: string, modelName: string | undefined): CatalogModel {
      const model = models.resolveFor(userId, modelName, 'chat');
      usage.assertWithinBudget(userId);
      if (streams >= deps.maxStreams)
        throw new AppError('streams_exhausted', `the server is answering ${streams} requests, its limit (MAX_CONCURRENT_STREAMS); try again shortly`);
      return model;
    },

    /**
     * Starts a chat generation. Checks run now and throw at once:
     * `model_unknown`/`model_disabled`, `budget_exceeded` (402),
     * `streams_exhausted` (503). Waiting for a miner happens on the first event.
     */
    chat(who: Requester, modelName: string | undefined, messages: ChatMessage[], sampling: Sampling, signal?: AbortSignal): Generation {
      const model = this.precheck(who.userId, modelName);
      return { model, events: run(who, model, messages, sampling, signal) };
    },

    /**
     * Embeds texts with a catalog embedding model, checking the dimension the
     * catalog fixes (`embedding_dimension_mismatch` otherwise). Ingestion
     * (`source: 'ingest'`) is recorded in the ledger but not held to the
     * uploader's budget: a document half-indexed because a chat budget ran
     * out would be worse than either.
     */
    async embed(who: Requester, modelName: string | undefined, input: string[], signal?: AbortSignal): Promise<EmbedResult & { model: CatalogModel }> {
      // The knowledge base embeds documents and searches with its collections' model, whoever asks;
      // only /v1/embeddings callers are held to their groups' models.
      const model = who.source === 'api' ? models.resolveFor(who.userId, modelName, 'embedding') : models.resolve(modelName, 'embedding');
      if (who.source !== 'ingest') usage.assertWithinBudget(who.userId);
      const started = clock();
      let result: EmbedResult | undefined;
      try {
        result = await backend.embed({ model: model.name, input, numCtx: model.contextLength, signal });
        const wrong = result.embeddings.find((v) => v.length !== model.dimensions);
        if (wrong)
          throw new AppError(
            'embedding_dimension_mismatch',
            `${model.name} returned ${wrong.length}-dimension vectors but the catalog says ${model.dimensions}; fix the model's dimensions on the Models page`,
          );
        return { ...result, model };
      } finally {
        usage.record({
          userId: who.userId,
          apiKeyId: who.apiKeyId ?? null,
          source: who.source,
          model: model.name,
          minerId: result?.minerId ?? null,
          promptTokens: result?.promptTokens ?? 0,
          completionTokens: 0,
          durationMs: clock() - started,
          outcome: result ? 'ok' : 'failed',
        });
      }
    },

    /** Streams in progress. */
    activeStreams: (): number => streams,
  };
}

/** The generation engine. */
export type Engine = ReturnType<typeof createEngine>;
