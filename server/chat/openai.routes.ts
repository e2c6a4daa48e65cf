import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatDone } from '../backend/backend.types.ts';
import type { Engine } from './engine.service.ts';
import { groundInCollections } from './collection-access.service.ts';
import type { Grounding } from './collection-access.service.ts';
import type { MessageSource } from './chat.types.ts';
import { AppError, isAppError } from '../kernel/errors.ts';
import type { ModelService } from '../models/models.service.ts';
import { statusOf } from '../http/errors.ts';
import { chatCompletionBody, contentText, embeddingsBody } from './openai.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

// OpenAI's error `type` for our codes; clients branch on it.
const TYPE: Record<string, string> = {
  invalid_api_key: 'invalid_request_error',
  budget_exceeded: 'insufficient_quota',
  rate_limited: 'rate_limit_exceeded',
  miners_busy: 'server_error',
  no_miner: 'server_error',
  streams_exhausted: 'server_error',
  generation_failed: 'server_error',
  internal: 'server_error',
};

/** An error in OpenAI's shape: `{"error":{"message","type","param","code"}}`. */
function openaiError(c: Context, code: string, message: string, status: number) {
  return c.json({ error: { message, type: TYPE[code] ?? 'invalid_request_error', param: null, code } }, status as 400);
}

const finishReason = (d: ChatDone | undefined) => (d?.doneReason === 'length' ? 'length' : 'stop');

/**
 * `/v1`: the OpenAI-compatible API for programs, authenticated by API key
 * only. Works with the official `openai` client unchanged. Messages go to
 * the model as sent: URLs in them are never fetched (unlike the chat UI),
 * because a program controls its own context. With the `onsite.collections`
 * extension the answer is grounded in those knowledge-base collections
 * (only ones the key's user may read) and lists its sources.
 */
export function openaiRoutes(engine: Engine, models: ModelService, clock: () => number, knowledge?: Grounding) {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => (isAppError(err) ? openaiError(c, err.code, err.message, statusOf(err.code)) : openaiError(c, 'internal', 'internal error', 500)));
  app.use(async (c, next) => {
    const caller = c.get('caller');
    if (caller?.via !== 'key') return openaiError(c, 'invalid_api_key', 'a valid API key is required (Authorization: Bearer osk_…)', 401);
    return next();
  });
  const who = (c: Context<AppEnv>) => {
    const caller = c.get('caller')!;
    return { userId: caller.user.id, apiKeyId: caller.via === 'key' ? caller.keyId : null, source: 'api' as const };
  };

  app.get('/models', (c) =>
    c.json({
      object: 'list',
      data: models
        .listFor(c.get('caller')!.user.id)
        .map((m) => ({ id: m.name, object: 'model', created: Math.floor(m.createdAt.getTime() / 1000), owned_by: 'onsite' })),
    }),
  );

  app.post('/chat/completions', async (c) => {
    const body = await jsonBody(c, chatCompletionBody);
    let messages;
    try {
      messages = body.messages.map((m) => ({ role: m.role === 'developer' ? ('system' as const) : m.role, content: contentText(m.content) }));
    } catch (err) {
      throw new AppError('validation_failed', (err as Error).message);
    }
    const controller = new AbortController();
    let sources: MessageSource[] = [];
    if (body.onsite?.collections) {
      const grounded = await groundInCollections({ engine, knowledge }, who(c).userId, body.model, body.onsite.collections, messages, controller.signal);
      messages = grounded.messages;
      sources = grounded.sources;
    }
    const onsite = (extra?: Record<string, unknown>) =>
      sources.length > 0 || extra ? { onsite: { ...(sources.length > 0 ? { sources } : {}), ...extra } } : {};
    const sampling = {
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      seed: body.seed ?? undefined,
      stop: typeof body.stop === 'string' ? [body.stop] : (body.stop ?? undefined),
    };
    const gen = engine.chat(who(c), body.model, messages, sampling, controller.signal);
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    const created = Math.floor(clock() / 1000);
    const it = gen.events[Symbol.asyncIterator]();
    // The first event carries any "nothing could run it" error, answered as a plain HTTP error.
    const first = await it.next();
    if (!body.stream) {
      let text = '';
      let done: ChatDone | undefined;
      for (let r = first; !r.done; r = await it.next()) {
        if (r.value.type === 'token') text += r.value.delta;
        else done = r.value;
      }
      const usage = {
        prompt_tokens: done?.promptTokens ?? 0,
        completion_tokens: done?.completionTokens ?? 0,
        total_tokens: (done?.promptTokens ?? 0) + (done?.completionTokens ?? 0),
      };
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model: gen.model.name,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finishReason(done) }],
        usage,
        ...onsite(done?.truncated ? { context_truncated: true } : undefined),
      });
    }
    const base = { id, object: 'chat.completion.chunk', created, model: gen.model.name, system_fingerprint: 'onsite' };
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      const send = (data: unknown) => stream.writeSSE({ data: JSON.stringify(data) });
      let done: ChatDone | undefined;
      let sentRole = false;
      try {
        for (let r = first; !r.done; r = await it.next()) {
          if (r.value.type === 'done') {
            done = r.value;
            continue;
          }
          await send({
            ...base,
            choices: [
              { index: 0, delta: sentRole ? { content: r.value.delta } : { role: 'assistant', content: r.value.delta }, logprobs: null, finish_reason: null },
            ],
          });
          sentRole = true;
        }
        await send({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(done) }], ...onsite() });
        if (body.stream_options?.include_usage) {
          await send({
            ...base,
            choices: [],
            usage: {
              prompt_tokens: done?.promptTokens ?? 0,
              completion_tokens: done?.completionTokens ?? 0,
              total_tokens: (done?.promptTokens ?? 0) + (done?.completionTokens ?? 0),
            },
          });
        }
      } catch (err) {
        const code = isAppError(err) ? err.code : 'internal';
        await send({ error: { message: isAppError(err) ? err.message : 'internal error', type: TYPE[code] ?? 'server_error', param: null, code } });
      }
      await stream.writeSSE({ data: '[DONE]' });
    });
  });

  app.post('/embeddings', async (c) => {
    const body = await jsonBody(c, embeddingsBody);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const r = await engine.embed(who(c), body.model, input, c.req.raw.signal);
    if (body.dimensions && body.dimensions !== r.model.dimensions)
      throw new AppError('validation_failed', `${r.model.name} makes ${r.model.dimensions}-dimension vectors`);
    const encode = (v: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
    return c.json({
      object: 'list',
      data: r.embeddings.map((v, index) => ({ object: 'embedding', index, embedding: encode(v) })),
      model: r.model.name,
      usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
    });
  });
  return app;
}
