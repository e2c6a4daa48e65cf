import { z } from 'zod';
import { kbId } from '../knowledge/collections.schemas.ts';

const text = z.string().max(4_000_000);
// Content may be a string or an array of parts; only text parts are understood.
const content = z.union([text, z.array(z.union([z.object({ type: z.literal('text'), text }).loose(), z.object({ type: z.string() }).loose()])).max(1000)]);

/** Body of `POST /v1/chat/completions` (unknown fields are ignored, as OpenAI's own server tolerates new ones). */
export const chatCompletionBody = z
  .object({
    model: z.string().min(1).max(200),
    messages: z
      .array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: content.nullable() }).loose())
      .min(1)
      .max(10_000),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_tokens: z.number().int().min(1).max(1_048_576).nullish(),
    max_completion_tokens: z.number().int().min(1).max(1_048_576).nullish(),
    seed: z.number().int().nullish(),
    stop: z.union([z.string().max(64), z.array(z.string().max(64)).max(8)]).nullish(),
    n: z.literal(1).nullish(),
    user: z.string().max(256).nullish(),
    /** Onsite's extension: ground the answer in these knowledge-base collections (sources come back in `onsite.sources`). */
    onsite: z
      .object({ collections: z.array(kbId).min(1).max(50) })
      .strict()
      .nullish(),
  })
  .loose();
export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** Body of `POST /v1/embeddings`. */
export const embeddingsBody = z
  .object({
    model: z.string().min(1).max(200),
    input: z.union([z.string().max(1_000_000), z.array(z.string().max(1_000_000)).min(1).max(2048)]),
    encoding_format: z.enum(['float', 'base64']).nullish(),
    dimensions: z.number().int().positive().nullish(),
    user: z.string().max(256).nullish(),
  })
  .loose();

/** The text of a message's content (text parts joined; other parts refused). */
export function contentText(c: z.infer<typeof content> | null): string {
  if (c === null) return '';
  if (typeof c === 'string') return c;
  return c
    .map((p) => {
      if (p.type !== 'text') throw new TypeError(`content parts of type ${p.type} are not supported`);
      return String((p as { text: unknown }).text);
    })
    .join('');
}
