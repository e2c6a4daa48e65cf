/** @jsxImportSource hono/jsx */
import type { ConversationView, PublicMessage } from './chat.views.ts';
import type { Caller } from '../http/types.ts';
import type { ModelView } from '../models/models.views.ts';
import { Notice } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';
import { KnowledgePicker } from './chat-knowledge.page.tsx';
import { MessageView } from './chat-message.page.tsx';
import type { CollectionView } from '../knowledge/collections.views.ts';

/** Props of {@link ChatPage}. */
export interface ChatPageProps {
  caller: Caller;
  conversations: ConversationView[];
  /** The open conversation, if any. */
  current?: { conversation: ConversationView; messages: PublicMessage[] } | undefined;
  /** Enabled chat models of the catalog. */
  models: ModelView[];
  /** Collections the user may read, for the knowledge picker. */
  collections: CollectionView[];
  /** The open conversation's whole document, when it has one the user may read. */
  document?: { id: number; title: string } | undefined;
  error?: string | undefined;
}

function ConversationItem({ caller, conversation: c, active }: { caller: Caller; conversation: ConversationView; active: boolean }) {
  return (
    <li class={active ? 'active' : undefined} data-testid="conversation-item" data-id={c.id}>
      <a href={`/chat/${c.id}`} data-testid="conversation-link">
        {c.title}
      </a>
      <details class="conv-menu">
        <summary title="Rename or delete">⋯</summary>
        <form method="post" action={`/chat/${c.id}/rename`} class="row" data-testid="rename-form">
          <CsrfField caller={caller} />
          <input name="title" value={c.title} required maxlength={200} aria-label="New title" />
          <button type="submit" class="secondary">
            Rename
          </button>
        </form>
        <form method="post" action={`/chat/${c.id}/delete`} data-confirm="Delete this conversation and all its messages?" data-testid="delete-form">
          <CsrfField caller={caller} />
          <button type="submit" class="danger">
            Delete
          </button>
        </form>
      </details>
    </li>
  );
}

function ModelPicker({ models, selected }: { models: ModelView[]; selected: string | undefined }) {
  const chosen = models.find((m) => m.name === selected) ?? models.find((m) => m.isDefault) ?? models[0];
  return (
    <label class="field">
      <span>Model</span>
      <select name="model" form="new-conversation-form" data-testid="model-picker">
        {models.map((m) => (
          <option value={m.name} selected={m === chosen}>
            {m.name}
            {m.isDefault ? ' (default)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The chat: conversations on the left (newest first), the open one's
 * messages and the composer on the right. Streaming, stop, regenerate,
 * edit and copy are done by chat.js against the conversations API.
 */
export function ChatPage({ caller, conversations, current, models, collections, document, error }: ChatPageProps) {
  const messages = (current?.messages ?? []).filter((m) => m.role !== 'system');
  const ready = models.length > 0;
  // A conversation opened to summarise a document starts with that question ready to send.
  const suggestion = document && messages.length === 0 ? 'Summarise this document.' : '';
  return (
    <Layout title={current?.conversation.title ?? 'Chat'} caller={caller} scripts={['chat-api.js', 'chat-view.js', 'chat.js', 'chat-knowledge.js']} wide>
      <div class="chat" data-testid="chat" data-conversation-id={current?.conversation.id ?? ''}>
        <aside class="chat-side card">
          <form method="post" action="/chat" id="new-conversation-form">
            <CsrfField caller={caller} />
            <button type="submit" data-testid="new-conversation" disabled={!ready}>
              New conversation
            </button>
          </form>
          {ready ? <ModelPicker models={models} selected={current?.conversation.model} /> : null}
          <ul class="conv-list" data-testid="conversation-list">
            {conversations.map((c) => (
              <ConversationItem caller={caller} conversation={c} active={c.id === current?.conversation.id} />
            ))}
          </ul>
        </aside>
        <section class="chat-main card">
          <Notice error={error} />
          {ready ? null : <p class="notice info">No chat model is set up yet. An admin adds one on the Models page.</p>}
          <h1 data-testid="conversation-title">{current?.conversation.title ?? 'New conversation'}</h1>
          <KnowledgePicker
            caller={caller}
            conversationId={current?.conversation.id}
            knowledge={current?.conversation.knowledge}
            collections={collections}
            document={document}
          />
          <div class="notice error chat-alert" role="alert" data-testid="chat-alert"></div>
          <div class="messages" data-testid="messages">
            {messages.map((m, i) => (
              <MessageView message={m} last={i === messages.length - 1} />
            ))}
          </div>
          <noscript>
            <p class="notice info">Sending messages needs JavaScript; the history above can be read without it.</p>
          </noscript>
          <form class="composer" data-testid="composer" data-ready={ready ? 'yes' : 'no'}>
            <textarea
              name="content"
              rows={3}
              maxlength={200000}
              data-testid="composer-input"
              aria-label="Message"
              placeholder="Ask something. Enter sends, Shift+Enter starts a new line."
            >
              {suggestion}
            </textarea>
            <div class="row">
              <button type="submit" data-testid="send" disabled>
                Send
              </button>
              <button type="button" class="secondary" data-testid="stop" hidden>
                Stop
              </button>
            </div>
          </form>
        </section>
      </div>
    </Layout>
  );
}
