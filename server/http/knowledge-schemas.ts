import { z } from 'zod';
import { MAX_URL_LENGTH } from '../kernel/protocol/browser.ts';
import { kbId } from './chat-schemas.ts';

export { kbId };

/** Body of a new collection. */
export const collectionBody = z
  .object({
    name: z.string().trim().min(1, 'the name is empty').max(200),
    description: z.string().max(2000).optional(),
    scope: z.enum(['private', 'shared']).optional(),
  })
  .strict();
/** Body of a change to a collection. */
export const collectionPatchBody = z
  .object({ name: z.string().trim().min(1).max(200).optional(), description: z.string().max(2000).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
/** Body importing a web page into a collection. */
export const importUrlBody = z
  .object({
    url: z
      .string()
      .trim()
      .max(MAX_URL_LENGTH)
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http or https URL'),
  })
  .strict();
/** Body of a search. */
export const searchBody = z
  .object({
    query: z.string().trim().min(1, 'the query is empty').max(4000),
    collectionIds: z.array(kbId).min(1).max(50).optional(),
    topK: z.number().int().min(1).max(50).optional(),
  })
  .strict();
/** Path parameter `:id` of a collection or document: plain digits only (no "1e0", no "+1"). */
export const idParam = z.object({ id: z.string().regex(/^[1-9][0-9]{0,14}$/).transform(Number) });
