import type { conversations, messages } from '../db/schema/index.ts';
export type { ConversationKnowledge, DocumentSource, MessageSource, WebSource } from '../db/schema/index.ts';

/** A conversation row. */
export type Conversation = typeof conversations.$inferSelect;

/** A message row. */
export type Message = typeof messages.$inferSelect;
