/** @jsxImportSource hono/jsx */
import type { ConversationKnowledge } from './chat.types.ts';
import type { Caller } from '../http/types.ts';
import { CsrfField } from '../ui/layout.tsx';
import type { CollectionView } from '../knowledge/collections.views.ts';

/** Props of {@link KnowledgePicker}. */
export interface KnowledgePickerProps {
  caller: Caller;
  /** The open conversation's id; absent before the first message. */
  conversationId?: string | undefined;
  knowledge: ConversationKnowledge | null | undefined;
  /** Collections the user may read. */
  collections: CollectionView[];
  /** The whole-document mode's document, when the user may still read it. */
  document?: { id: number; title: string } | undefined;
}

/** What a conversation draws on, in words. chat-knowledge.js writes the same. */
export function knowledgeSummary(names: string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}

/**
 * What the conversation draws on: the whole document it was opened for,
 * or the collections searched for every question, chosen by checkbox.
 * chat-knowledge.js saves a change at once (PATCH); without JavaScript the
 * Save button posts the form.
 */
export function KnowledgePicker({ caller, conversationId, knowledge, collections, document }: KnowledgePickerProps) {
  const chosen = new Set(knowledge?.collectionIds ?? []);
  const names = collections.filter((c) => chosen.has(c.id)).map((c) => c.name);
  const wholeDocument = knowledge?.documentId !== undefined;
  return (
    <details class="kb-picker" data-testid="kb-picker" data-document-id={wholeDocument ? String(knowledge.documentId) : undefined}>
      <summary>
        {wholeDocument ? (
          <>
            Whole document:{' '}
            <span data-testid="kb-document">{document ? <a href={`/documents/${document.id}`}>{document.title}</a> : 'a document you can no longer read'}</span>
          </>
        ) : (
          <>
            Searching documents: <span data-testid="kb-summary">{knowledgeSummary(names)}</span>
          </>
        )}
      </summary>
      <form method="post" action={conversationId ? `/chat/${conversationId}/knowledge` : undefined} data-testid="kb-form">
        <CsrfField caller={caller} />
        <fieldset>
          <legend>Search these collections for every question</legend>
          {wholeDocument ? <p class="muted small">Choosing collections replaces the whole document.</p> : null}
          {collections.length === 0 ? (
            <p class="muted small" data-testid="kb-none">
              No collections yet. <a href="/collections">Add documents</a>.
            </p>
          ) : (
            collections.map((c) => (
              <label class="check">
                <input type="checkbox" name="collectionIds" value={String(c.id)} checked={chosen.has(c.id)} data-testid="kb-choice" data-name={c.name} />
                {c.name}{' '}
                <span class="muted small">
                  ({c.scope}, {c.ready} documents)
                </span>
              </label>
            ))
          )}
        </fieldset>
        <p class="muted small" role="status" data-testid="kb-saved"></p>
        {conversationId && collections.length > 0 ? (
          <button type="submit" class="secondary no-js-only">
            Save
          </button>
        ) : null}
      </form>
    </details>
  );
}
