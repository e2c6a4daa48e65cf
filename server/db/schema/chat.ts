import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { apiKeys, users } from './identity.ts';

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });

/**
 * What an answer drew on, shown under it and numbered as the model cites
 * them ([1], [2]…): web pages the question linked, and chunks of documents
 * from the knowledge base. A page that could not be read keeps its URL and
 * says why in `error`.
 */
export type MessageSource = WebSource | DocumentSource;

/** A web page the question linked. */
export interface WebSource {
  kind: 'web';
  /** The URL as the user wrote it. */
  url: string;
  /** Where the page ended up after redirects (absent when it could not be read). */
  finalUrl?: string | undefined;
  title?: string | undefined;
  /** The page text was cut to fit the model's context window. */
  truncated?: boolean | undefined;
  error?: { code: string; message: string } | undefined;
}

/** A document of the knowledge base: one retrieved chunk, or the whole text in whole-document mode. */
export interface DocumentSource {
  kind: 'document';
  documentId: number;
  collectionId: number;
  title: string;
  /** The chunk's position in the document; absent for the whole document. */
  chunk?: number | undefined;
  /** Character range of the chunk in the document's text. */
  startChar?: number | undefined;
  endChar?: number | undefined;
  truncated?: boolean | undefined;
}

/** What a conversation grounds its answers in: collections to search, or one whole document. */
export interface ConversationKnowledge {
  collectionIds: number[];
  documentId?: number | undefined;
}

/** A user's conversations. */
export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    model: text('model').notNull(),
    /** Collections searched for every question, or one document given whole; null for none. */
    knowledge: text('knowledge', { mode: 'json' }).$type<ConversationKnowledge>(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('conversations_user').on(t.userId, t.updatedAt)],
);

/**
 * Messages in order (`seq`). An assistant message is `streaming` while it is
 * generated; a failed or stopped one keeps its partial content and says why.
 */
export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['system', 'user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    status: text('status', { enum: ['complete', 'streaming', 'failed', 'stopped'] }).notNull(),
    error: text('error'),
    model: text('model'),
    minerId: text('miner_id'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    truncated: integer('truncated', { mode: 'boolean' }).notNull().default(false),
    /** Sources of an answer (web pages the question linked); null when it had none. */
    sources: text('sources', { mode: 'json' }).$type<MessageSource[]>(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    index('messages_conversation').on(t.conversationId, t.seq),
    check('messages_role', sql`${t.role} IN ('system', 'user', 'assistant')`),
    check('messages_status', sql`${t.status} IN ('complete', 'streaming', 'failed', 'stopped')`),
  ],
);

/** The usage ledger: one row per model request, whoever made it and however it ended. */
export const usage = sqliteTable(
  'usage',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    apiKeyId: text('api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    source: text('source', { enum: ['chat', 'api', 'embedding', 'ingest'] }).notNull(),
    model: text('model').notNull(),
    minerId: text('miner_id'),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ['ok', 'failed', 'stopped'] }).notNull(),
    at: ms('at').notNull(),
  },
  (t) => [index('usage_user_at').on(t.userId, t.at), index('usage_at').on(t.at)],
);

/** Per-user token budgets; absent means the configured defaults apply. 0 = unlimited. */
export const userBudgets = sqliteTable('user_budgets', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  daily: integer('daily'),
  monthly: integer('monthly'),
  updatedAt: ms('updated_at').notNull(),
});
