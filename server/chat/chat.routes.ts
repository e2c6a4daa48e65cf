import { Hono, type Context } from 'hono';
import type { ChatService } from './chat.service.ts';
import { publicConversation, publicMessage } from './chat.views.ts';
import { createConversationBody, editMessageBody, regenerateBody, renameConversationBody, sendMessageBody } from './chat.schemas.ts';
import { callerOf, requireUser } from '../http/middleware/guards.ts';
import { sendReply } from '../http/sse.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

const me = (c: Context<AppEnv>) => callerOf(c).user.id;

/**
 * `/api/conversations`: the caller's conversations. Sending, regenerating
 * and editing answer with Server-Sent Events (see sse.ts).
 */
export function chatRoutes(chat: ChatService) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/', (c) => c.json({ conversations: chat.list(me(c)).map(publicConversation) }))
    .post('/', async (c) => c.json(publicConversation(chat.create(me(c), await jsonBody(c, createConversationBody))), 201))
    .get('/:id', (c) => {
      const { conversation, messages } = chat.get(me(c), c.req.param('id'));
      return c.json({ ...publicConversation(conversation), messages: messages.map(publicMessage) });
    })
    .patch('/:id', async (c) => c.json(publicConversation(chat.update(me(c), c.req.param('id'), await jsonBody(c, renameConversationBody)))))
    .delete('/:id', (c) => {
      chat.remove(me(c), c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/:id/messages', async (c) => {
      const body = await jsonBody(c, sendMessageBody);
      return sendReply(c, chat.send(me(c), c.req.param('id'), body.content, body.model));
    })
    .patch('/:id/messages/:messageId', async (c) => {
      const body = await jsonBody(c, editMessageBody);
      return sendReply(c, chat.edit(me(c), c.req.param('id'), c.req.param('messageId'), body.content, body.model));
    })
    .post('/:id/regenerate', async (c) => sendReply(c, chat.regenerate(me(c), c.req.param('id'), (await jsonBody(c, regenerateBody)).model)))
    .post('/:id/stop', (c) => c.json({ stopped: chat.stop(me(c), c.req.param('id')) }));
}
