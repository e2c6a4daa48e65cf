import type { Context } from 'hono';
import { z } from 'zod';
import { callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { AppError } from '../kernel/errors.ts';
import type { KnowledgeCaller } from './collections.service.ts';
import { MAX_URL_LENGTH } from '../kernel/protocol/browser.ts';

/** An integer id of the knowledge base (collections and documents). */
export const kbId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

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
/** Body sharing a collection with groups (replacing its shares; an empty list shares it with none). */
export const collectionSharesBody = z
  .object({
    shares: z.array(z.object({ groupId: z.string().min(1).max(100), access: z.enum(['read', 'write']) }).strict()).max(500),
  })
  .strict();
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
export const idParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/)
    .transform(Number),
});

/*
 * What the knowledge API routes and pages read from a request alike: who
 * asks (as the knowledge service's KnowledgeCaller) and which item (the `:id`).
 */

/** The caller as the knowledge service sees them. */
export const knowledgeCallerOf = (c: Context<AppEnv>): KnowledgeCaller => {
  const { user } = callerOf(c);
  return { id: user.id, role: user.role, label: user.email };
};

/** The numeric `:id` of the path. */
export function pathId(c: Context<AppEnv>): number {
  const r = idParam.safeParse({ id: c.req.param('id') });
  if (!r.success) throw new AppError('not_found', `no such item: ${c.req.param('id')?.slice(0, 40)}`);
  return r.data.id;
}
