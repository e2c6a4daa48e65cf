import type { Conversation, Message } from './chat.types.ts';
import { renderMarkdown } from './markdown.ts';

/** A message as the API and UI show it; assistant text also rendered to safe HTML. */
export type PublicMessage = ReturnType<typeof publicMessage>;

/** Shapes a message for the API. */
export function publicMessage(m: Message) {
  return {
    id: m.id,
    seq: m.seq,
    role: m.role,
    content: m.content,
    html: m.role === 'assistant' ? renderMarkdown(m.content) : undefined,
    status: m.status,
    error: m.error,
    model: m.model,
    promptTokens: m.promptTokens,
    completionTokens: m.completionTokens,
    truncated: m.truncated,
    sources: m.sources ?? [],
    createdAt: m.createdAt.toISOString(),
  };
}

/** A conversation as the API returns it and the pages render it. */
export type ConversationView = ReturnType<typeof publicConversation>;

/** Shapes a conversation for the API. */
export function publicConversation(c: Conversation) {
  return {
    id: c.id,
    title: c.title,
    model: c.model,
    knowledge: c.knowledge ?? { collectionIds: [] },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
