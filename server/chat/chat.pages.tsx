/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ChatService } from './chat.service.ts';
import { publicConversation, publicMessage } from './chat.views.ts';
import { publicModel } from '../models/models.views.ts';
import { statusOf } from '../http/errors.ts';
import { callerOf } from '../http/middleware/guards.ts';
import { knowledgeCallerOf } from '../knowledge/collections.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { isAppError } from '../kernel/errors.ts';
import type { KnowledgeService } from '../knowledge/collections.service.ts';
import { publicCollection } from '../knowledge/collections.views.ts';
import type { ModelService } from '../models/models.service.ts';
import { ChatPage } from './chat.page.tsx';
import { parseForm } from '../ui/forms.ts';
import { pageUser } from '../ui/guards.ts';

const newForm = z.object({ model: z.string().trim().max(200).optional() });
const titleForm = z.object({ title: z.string().trim().min(1, 'give the conversation a title').max(200) });
// Checkboxes: absent when none is ticked, a string for one, an array for several.
const knowledgeForm = z.object({
  collectionIds: z.preprocess((v) => (v === undefined ? [] : [v].flat()), z.array(z.coerce.number().int().positive()).max(50)),
});

/** Dependencies of the chat pages. */
export interface ChatPagesDeps {
  chat: ChatService;
  catalog: ModelService;
  knowledge: { service: KnowledgeService };
}

/**
 * `/chat` and `/chat/:id`: the conversation list and an open conversation
 * rendered with its history; new, rename, delete and the collections a
 * conversation searches are plain forms.
 */
export function chatPages(deps: ChatPagesDeps) {
  const render = (c: Context<AppEnv>, id?: string, error?: string, status = 200) => {
    const userId = callerOf(c).user.id;
    const open = id ? deps.chat.get(userId, id) : undefined;
    const current = open ? { conversation: publicConversation(open.conversation), messages: open.messages.map(publicMessage) } : undefined;
    const models = deps.catalog.listFor(userId, 'chat').map(publicModel);
    const collections = deps.knowledge.service.list(knowledgeCallerOf(c));
    const document = wholeDocument(c, open?.conversation.knowledge?.documentId);
    return c.html(
      <ChatPage
        caller={callerOf(c)}
        conversations={deps.chat.list(userId).map(publicConversation)}
        current={current}
        models={models}
        collections={collections.map(publicCollection)}
        document={document}
        error={error}
      />,
      status as 200,
    );
  };
  // The document of a whole-document conversation, if the user may still read it.
  const wholeDocument = (c: Context<AppEnv>, id: number | undefined) => {
    if (id === undefined) return undefined;
    try {
      const { doc } = deps.knowledge.service.get(knowledgeCallerOf(c), id);
      return { id: doc.id, title: doc.title };
    } catch (err) {
      if (isAppError(err)) return undefined;
      throw err;
    }
  };
  // A failed form shows the list with the error; an unknown conversation is a 404 there.
  const attempt = async (c: Context<AppEnv>, action: () => Promise<Response> | Response) => {
    try {
      return await action();
    } catch (err) {
      if (!isAppError(err)) throw err;
      return render(c, undefined, err.message, statusOf(err.code));
    }
  };

  return new Hono<AppEnv>()
    .use(pageUser)
    .get('/', (c) => render(c))
    .get('/:id', (c) => attempt(c, () => render(c, c.req.param('id'))))
    .post('/', (c) =>
      attempt(c, async () => {
        const form = parseForm(newForm, await c.req.parseBody());
        const conv = deps.chat.create(callerOf(c).user.id, { model: form.model || undefined });
        return c.redirect(`/chat/${conv.id}`, 303);
      }),
    )
    .post('/:id/rename', (c) =>
      attempt(c, async () => {
        const form = parseForm(titleForm, await c.req.parseBody());
        const conv = deps.chat.update(callerOf(c).user.id, c.req.param('id'), { title: form.title });
        return c.redirect(`/chat/${conv.id}`, 303);
      }),
    )
    .post('/:id/knowledge', (c) =>
      attempt(c, async () => {
        const form = parseForm(knowledgeForm, await c.req.parseBody({ all: true }));
        const conv = deps.chat.update(callerOf(c).user.id, c.req.param('id'), { knowledge: { collectionIds: form.collectionIds } });
        return c.redirect(`/chat/${conv.id}`, 303);
      }),
    )
    .post('/:id/delete', (c) =>
      attempt(c, () => {
        deps.chat.remove(callerOf(c).user.id, c.req.param('id'));
        return c.redirect('/chat', 303);
      }),
    );
}
