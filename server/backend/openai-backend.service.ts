import { z } from 'zod';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import { readSseData } from '../kernel/sse.ts';
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, ModelBackend } from './backend.types.ts';

const chunkSchema = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).passthrough().optional(), finish_reason: z.string().nullish() })).optional(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});
const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number() }).partial().optional(),
});
const modelsSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/**
 * Runs models on an external OpenAI-compatible endpoint instead of miners
 * (`ORCH_MODEL_BACKEND=openai`). The API key travels only in the
 * Authorization header and never appears in errors.
 */
export function createOpenAIBackend(deps: { baseUrl: string; apiKey: string | undefined; clock: Clock; timeoutMs?: number }): ModelBackend {
  const base = deps.baseUrl.replace(/\/+$/, '');
  const headers = { 'content-type': 'application/json', ...(deps.apiKey ? { authorization: `Bearer ${deps.apiKey}` } : {}) };

  async function post(path: string, body: unknown, signal: AbortSignal | undefined): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: signal ?? null, redirect: 'error' });
    } catch (err) {
      if (signal?.aborted) throw new AppError('bad_request', 'stopped');
      throw new AppError('no_miner', `the model endpoint cannot be reached (${(err as Error).message})`);
    }
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      throw new AppError('generation_failed', `the model endpoint answered ${res.status}: ${text}`, { partial: false });
    }
    return res;
  }

  return {
    name: 'openai',
    async *chat(req: ChatRequest): AsyncIterable<ChatEvent> {
      const started = deps.clock();
      const res = await post(
        '/chat/completions',
        {
          model: req.model,
          messages: req.messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(req.options.temperature !== undefined ? { temperature: req.options.temperature } : {}),
          ...(req.options.num_predict && req.options.num_predict > 0 ? { max_tokens: req.options.num_predict } : {}),
        },
        req.signal,
      );
      let produced = false;
      let finish = 'stop';
      let usage = { prompt_tokens: 0, completion_tokens: 0 };
      try {
        for await (const data of readSseData(res.body!)) {
          if (data === '[DONE]') break;
          const parsed = chunkSchema.safeParse(JSON.parse(data));
          if (!parsed.success) continue;
          if (parsed.data.usage) usage = parsed.data.usage;
          for (const choice of parsed.data.choices ?? []) {
            if (choice.finish_reason) finish = choice.finish_reason;
            const delta = choice.delta?.content;
            if (delta) {
              produced = true;
              yield { type: 'token', delta };
            }
          }
        }
      } catch (err) {
        if (req.signal?.aborted) throw new AppError('bad_request', 'stopped');
        throw new AppError('generation_failed', `the model endpoint failed mid-answer (${(err as Error).message})`, { partial: produced });
      }
      yield {
        type: 'done',
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens,
        doneReason: finish === 'length' ? 'length' : 'stop',
        truncated: false,
        minerId: undefined,
        durationMs: deps.clock() - started,
      };
    },

    async embed(req: EmbedRequest): Promise<EmbedResult> {
      const res = await post('/embeddings', { model: req.model, input: req.input, encoding_format: 'float' }, req.signal);
      const body = embeddingsSchema.parse(await res.json());
      const embeddings = body.data.sort((a, b) => a.index - b.index).map((d) => d.embedding);
      return { embeddings, promptTokens: body.usage?.prompt_tokens ?? 0, minerId: undefined };
    },

    async available() {
      const res = await fetch(`${base}/models`, { headers, redirect: 'error', signal: AbortSignal.timeout(deps.timeoutMs ?? 5000) });
      if (!res.ok) return [];
      return modelsSchema.parse(await res.json()).data.map((m) => ({ name: m.id }));
    },
  };
}
