/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { z } from 'zod';
import { callerOf } from '../http/middleware/guards.ts';
import { pathId, knowledgeCallerOf } from './collections.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { parseForm } from '../ui/forms.ts';
import { pageUser } from '../ui/guards.ts';
import { knowledgeRenderers, type KnowledgePagesDeps } from './collections-render.pages.tsx';

const createForm = z.object({
  name: z.string().trim().min(1, 'give the collection a name').max(200),
  description: z.string().trim().max(2000).optional(),
  scope: z.enum(['private', 'shared']).optional(),
});
const renameForm = createForm.pick({ name: true, description: true });
const importForm = z.object({ url: z.string().trim().min(1, 'give the page’s address').max(2048) });

/**
 * `/collections` (list, search, create) and `/collections/:id` (documents,
 * import a web page, rename, delete, start a conversation searching it).
 * Actions are plain forms answered with a redirect; uploads go through the
 * API (knowledge.js).
 */
export function collectionsPages(deps: KnowledgePagesDeps) {
  const { service } = deps.knowledge;
  const { list, one, attempt, onList, onCollection } = knowledgeRenderers(deps);
  return new Hono<AppEnv>()
    .use(pageUser)
    .get('/', (c) => list(c))
    .get('/:id', (c) => attempt(() => one(c, pathId(c)), onList(c)))
    .post('/', (c) =>
      attempt(async () => {
        const created = service.create(knowledgeCallerOf(c), parseForm(createForm, await c.req.parseBody()));
        return c.redirect(`/collections/${created.id}`, 303);
      }, onList(c)),
    )
    .post('/:id/rename', (c) =>
      attempt(async () => {
        const updated = service.update(knowledgeCallerOf(c), pathId(c), parseForm(renameForm, await c.req.parseBody()));
        return c.redirect(`/collections/${updated.id}`, 303);
      }, onCollection(c)),
    )
    .post('/:id/delete', (c) =>
      attempt(() => {
        service.remove(knowledgeCallerOf(c), pathId(c));
        return c.redirect('/collections', 303);
      }, onCollection(c)),
    )
    .post('/:id/import', (c) =>
      attempt(async () => {
        const id = pathId(c);
        service.importUrl(knowledgeCallerOf(c), id, parseForm(importForm, await c.req.parseBody()).url);
        return c.redirect(`/collections/${id}`, 303);
      }, onCollection(c)),
    )
    .post('/:id/chat', (c) =>
      attempt(() => {
        const id = service.readable(knowledgeCallerOf(c), pathId(c)).id;
        const conversation = deps.chat.create(callerOf(c).user.id, { knowledge: { collectionIds: [id] } });
        return c.redirect(`/chat/${conversation.id}`, 303);
      }, onCollection(c)),
    );
}
