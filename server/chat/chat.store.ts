import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { conversations, messages } from '../db/schema/index.ts';
import type { Conversation, Message } from './chat.types.ts';

/** Conversations and messages: the only code touching those tables. */
export function createChatStore(orm: Orm) {
  return {
    insertConversation: (row: typeof conversations.$inferInsert): Conversation => orm.insert(conversations).values(row).returning().get(),
    conversation: (id: string, userId: string): Conversation | undefined =>
      orm
        .select()
        .from(conversations)
        .where(and(eq(conversations.id, id), eq(conversations.userId, userId)))
        .get(),
    conversations: (userId: string, limit: number): Conversation[] =>
      orm.select().from(conversations).where(eq(conversations.userId, userId)).orderBy(desc(conversations.updatedAt)).limit(limit).all(),
    updateConversation: (id: string, set: Partial<typeof conversations.$inferInsert>): void => {
      orm.update(conversations).set(set).where(eq(conversations.id, id)).run();
    },
    deleteConversation: (id: string, userId: string): boolean =>
      orm
        .delete(conversations)
        .where(and(eq(conversations.id, id), eq(conversations.userId, userId)))
        .run().changes > 0,
    messages: (conversationId: string): Message[] =>
      orm.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.seq)).all(),
    message: (id: string): Message | undefined => orm.select().from(messages).where(eq(messages.id, id)).get(),
    nextSeq: (conversationId: string): number =>
      (orm
        .select({ n: sql<number>`coalesce(max(${messages.seq}), 0)` })
        .from(messages)
        .where(eq(messages.conversationId, conversationId))
        .get()?.n ?? 0) + 1,
    insertMessage: (row: typeof messages.$inferInsert): Message => orm.insert(messages).values(row).returning().get(),
    updateMessage: (id: string, set: Partial<typeof messages.$inferInsert>): void => {
      orm.update(messages).set(set).where(eq(messages.id, id)).run();
    },
    /** Deletes the messages after `seq` (edit and regenerate rewrite the tail). */
    deleteAfter: (conversationId: string, seq: number): void => {
      orm
        .delete(messages)
        .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, seq)))
        .run();
    },
    /** Marks answers left `streaming` by a stopped process as failed; returns how many. */
    failInterrupted: (reason: string, at: Date): number =>
      orm.update(messages).set({ status: 'failed', error: reason, updatedAt: at }).where(eq(messages.status, 'streaming')).run().changes,
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The chat store. */
export type ChatStore = ReturnType<typeof createChatStore>;
