import { randomUUID } from 'node:crypto';
import type { PageFetcher } from '../browser-client/browser-client.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError, isAppError } from '../kernel/errors.ts';
import type { ChatMessage } from '../kernel/protocol/miner.ts';
import type { Engine } from './engine.service.ts';
import { readableCollectionIds } from './collection-access.service.ts';
import { checkWholeDocument, promptWithKnowledge, type Grounding, type Rewriter } from './knowledge-prompt.ts';
import type { ChatStore } from './chat.store.ts';
import type { Conversation, ConversationKnowledge, Message, MessageSource } from './chat.types.ts';
import { publicMessage, type PublicMessage } from './chat.views.ts';
import { promptWithPages } from './linked-pages.ts';
import { OPEN_FEATURES, type FeatureGate } from '../kernel/features.ts';

/**
 * What the streaming endpoint sends, in order: start, `sources` when the
 * question linked web pages or the conversation searches documents (found
 * before the first token), tokens, then done or error.
 */
export type ChatStreamEvent =
  | { type: 'sources'; sources: MessageSource[] }
  | { type: 'token'; delta: string }
  | { type: 'done'; message: PublicMessage }
  | { type: 'error'; code: string; message: string; partial: PublicMessage };

const DEFAULT_TITLE = 'New conversation';

/** A reply being generated: what it answers and the stream to send to the client. */
export interface Reply {
  userMessage: PublicMessage | undefined;
  assistant: PublicMessage;
  events: AsyncIterable<ChatStreamEvent>;
  /** Stops the generation (the client went away). */
  abort(): void;
}

/**
 * Conversations and their messages. Sending, regenerating and editing all
 * write the question and an empty `streaming` answer in one transaction,
 * then fill the answer from the engine; a stop or a failure keeps the text
 * produced so far and says why. With a page fetcher (the browser sidecar),
 * web pages the question links are read first and cited as sources.
 */
export function createChatService(deps: {
  store: ChatStore;
  engine: Engine;
  clock: Clock;
  pages?: PageFetcher | undefined;
  knowledge?: Grounding | undefined;
  /** Which groups may have linked web pages read (web_pages); absent: everyone. */
  features?: FeatureGate | undefined;
}) {
  const { store, engine, clock } = deps;
  const features = deps.features ?? OPEN_FEATURES;

  // What a conversation grounds in, checked against what the user may read now.
  function checkedKnowledge(userId: string, k: ConversationKnowledge | null | undefined): ConversationKnowledge | null {
    if (!k || (k.collectionIds.length === 0 && k.documentId === undefined)) return null;
    const { grounding, ids } = readableCollectionIds(deps.knowledge, userId, k.collectionIds);
    if (k.documentId !== undefined) grounding.wholeDocument(userId, k.documentId);
    return { collectionIds: ids, ...(k.documentId !== undefined ? { documentId: k.documentId } : {}) };
  }

  // The follow-up rewrite runs on the conversation's model, briefly and without sampling noise.
  function rewriter(userId: string, model: string): Rewriter {
    return async (messages, signal) => {
      let text = '';
      for await (const e of engine.chat({ userId, source: 'chat' }, model, messages, { maxTokens: 64, temperature: 0 }, signal).events)
        if (e.type === 'token') text += e.delta;
      return text;
    };
  }
  const running = new Map<string, { conversationId: string; controller: AbortController }>();

  function owned(userId: string, id: string): Conversation {
    const c = store.conversation(id, userId);
    if (!c) throw new AppError('not_found', 'no such conversation');
    return c;
  }

  // The model sees complete exchanges only: failed or empty answers are left out.
  function history(conversationId: string): ChatMessage[] {
    return store
      .messages(conversationId)
      .filter((m) => m.role !== 'assistant' || (m.status !== 'failed' && m.content.length > 0))
      .map((m) => ({ role: m.role, content: m.content }));
  }

  // Every refusal (model, budget, streams, a whole document that cannot be read or does not fit)
  // comes before send, regenerate or edit writes anything, so a refused request changes nothing.
  function precheck(userId: string, conv: Conversation, model: string | undefined, extra = ''): void {
    const chatModel = engine.precheck(userId, model ?? conv.model);
    if (deps.knowledge) {
      const msgs = history(conv.id);
      if (extra) msgs.push({ role: 'user', content: extra });
      checkWholeDocument(deps.knowledge, userId, conv.knowledge, chatModel.contextLength, msgs);
    }
  }

  function reply(userId: string, conv: Conversation, userMessage: Message | undefined, model: string | undefined): Reply {
    const controller = new AbortController();
    const msgs = history(conv.id);
    // The caller ran precheck() (model, budget, streams, whole document) before writing anything; this resolves the model again.
    const chatModel = engine.precheck(userId, model ?? conv.model);
    const now = new Date(clock());
    // One commit for both rows: all or nothing, and one disk sync before the first token.
    const assistant = store.transaction(() => {
      const a = store.insertMessage({
        id: randomUUID(),
        conversationId: conv.id,
        seq: store.nextSeq(conv.id),
        role: 'assistant',
        content: '',
        status: 'streaming',
        model: chatModel.name,
        createdAt: now,
        updatedAt: now,
      });
      store.updateConversation(conv.id, { updatedAt: now, model: chatModel.name });
      return a;
    });
    running.set(assistant.id, { conversationId: conv.id, controller });

    async function* events(): AsyncGenerator<ChatStreamEvent> {
      let text = '';
      try {
        // Without web_pages for this user's groups, links stay text: the page is never fetched.
        const fetcher = features.allows(userId, 'web_pages') ? deps.pages : undefined;
        const pages = await promptWithPages(fetcher, msgs, chatModel.contextLength, controller.signal);
        const prompt = deps.knowledge
          ? await promptWithKnowledge(
              deps.knowledge,
              rewriter(userId, chatModel.name),
              userId,
              conv.knowledge,
              pages,
              msgs,
              chatModel.contextLength,
              controller.signal,
            )
          : pages;
        if (prompt.sources.length > 0) {
          store.updateMessage(assistant.id, { sources: prompt.sources, updatedAt: new Date(clock()) });
          yield { type: 'sources', sources: prompt.sources };
        }
        const gen = engine.chat({ userId, source: 'chat' }, chatModel.name, prompt.messages, {}, controller.signal);
        for await (const e of gen.events) {
          if (e.type === 'token') {
            text += e.delta;
            yield e;
          } else {
            store.updateMessage(assistant.id, {
              content: text,
              status: 'complete',
              minerId: e.minerId ?? null,
              promptTokens: e.promptTokens,
              completionTokens: e.completionTokens,
              truncated: e.truncated,
              updatedAt: new Date(clock()),
            });
          }
        }
        yield { type: 'done', message: publicMessage(store.message(assistant.id)!) };
      } catch (err) {
        const stopped = controller.signal.aborted;
        const code = stopped ? 'stopped' : isAppError(err) ? err.code : 'internal';
        const reason = stopped ? 'stopped by the user' : isAppError(err) ? err.message : 'internal error';
        store.updateMessage(assistant.id, { content: text, status: stopped ? 'stopped' : 'failed', error: reason, updatedAt: new Date(clock()) });
        yield { type: 'error', code, message: reason, partial: publicMessage(store.message(assistant.id)!) };
      } finally {
        running.delete(assistant.id);
        // The client went away or stopped reading: stop the model too.
        controller.abort();
      }
    }
    return { userMessage: userMessage && publicMessage(userMessage), assistant: publicMessage(assistant), events: events(), abort: () => controller.abort() };
  }

  return {
    create(userId: string, input: { title?: string | undefined; model?: string | undefined; knowledge?: ConversationKnowledge | undefined }): Conversation {
      const model = engine.resolveChatModel(userId, input.model);
      const knowledge = checkedKnowledge(userId, input.knowledge);
      const now = new Date(clock());
      return store.insertConversation({
        id: randomUUID(),
        userId,
        title: input.title?.trim() || DEFAULT_TITLE,
        model: model.name,
        knowledge,
        createdAt: now,
        updatedAt: now,
      });
    },
    list: (userId: string, limit = 200) => store.conversations(userId, limit),
    get(userId: string, id: string) {
      const c = owned(userId, id);
      return { conversation: c, messages: store.messages(c.id) };
    },
    /** Renames a conversation and/or points it at other collections or a document. */
    update(userId: string, id: string, patch: { title?: string | undefined; knowledge?: ConversationKnowledge | undefined }): Conversation {
      owned(userId, id);
      const knowledge = patch.knowledge === undefined ? undefined : checkedKnowledge(userId, patch.knowledge);
      store.updateConversation(id, {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(knowledge !== undefined ? { knowledge } : {}),
        updatedAt: new Date(clock()),
      });
      return owned(userId, id);
    },
    remove(userId: string, id: string): void {
      this.stop(userId, id);
      if (!store.deleteConversation(id, userId)) throw new AppError('not_found', 'no such conversation');
    },

    /** Adds the user's message and starts the answer. */
    send(userId: string, id: string, content: string, model?: string): Reply {
      const conv = owned(userId, id);
      const busy = [...running.values()].some((r) => r.conversationId === id);
      if (busy) throw new AppError('conflict', 'an answer is still being generated in this conversation; stop it first');
      precheck(userId, conv, model, content);
      const now = new Date(clock());
      const userMessage = store.transaction(() => {
        const m = store.insertMessage({
          id: randomUUID(),
          conversationId: id,
          seq: store.nextSeq(id),
          role: 'user',
          content,
          status: 'complete',
          createdAt: now,
          updatedAt: now,
        });
        if (conv.title === DEFAULT_TITLE) store.updateConversation(id, { title: content.replace(/\s+/g, ' ').trim().slice(0, 60) || DEFAULT_TITLE });
        return m;
      });
      return reply(userId, conv, userMessage, model);
    },

    /** Replaces the last answer with a new one. */
    regenerate(userId: string, id: string, model?: string): Reply {
      const conv = owned(userId, id);
      if ([...running.values()].some((r) => r.conversationId === id)) throw new AppError('conflict', 'an answer is still being generated; stop it first');
      const msgs = store.messages(id);
      const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
      if (!lastUser) throw new AppError('bad_request', 'there is no question to answer again');
      precheck(userId, conv, model);
      store.deleteAfter(id, lastUser.seq);
      return reply(userId, conv, undefined, model);
    },

    /** Changes one of the user's questions, drops everything after it and answers again. */
    edit(userId: string, id: string, messageId: string, content: string, model?: string): Reply {
      const conv = owned(userId, id);
      if ([...running.values()].some((r) => r.conversationId === id)) throw new AppError('conflict', 'an answer is still being generated; stop it first');
      const m = store.message(messageId);
      if (!m || m.conversationId !== id || m.role !== 'user') throw new AppError('not_found', 'no such question in this conversation');
      precheck(userId, conv, model, content);
      store.transaction(() => {
        store.updateMessage(messageId, { content, updatedAt: new Date(clock()) });
        store.deleteAfter(id, m.seq);
      });
      return reply(userId, conv, store.message(messageId), model);
    },

    /** Stops the answer being generated in a conversation; true when one was running. */
    stop(userId: string, id: string): boolean {
      owned(userId, id);
      let stopped = false;
      for (const r of running.values()) {
        if (r.conversationId === id) {
          r.controller.abort();
          stopped = true;
        }
      }
      return stopped;
    },

    /** Marks answers a previous process left unfinished; run once at start. */
    recoverInterrupted: (): number => store.failInterrupted('the server restarted while this answer was generated', new Date(clock())),
  };
}

/** The chat service. */
export type ChatService = ReturnType<typeof createChatService>;
