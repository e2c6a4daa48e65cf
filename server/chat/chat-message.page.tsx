/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { PublicMessage } from './chat.views.ts';
import type { MessageSource } from './chat.types.ts';

/**
 * The line under an answer that did not finish normally. chat.js writes
 * the same words for answers that end while the page is open.
 */
export function markerText(m: Pick<PublicMessage, 'status' | 'error' | 'content'>): string | undefined {
  const partial = m.content ? ' The text above is what was generated until then.' : '';
  if (m.status === 'stopped') return `Stopped: ${m.error ?? 'stopped by the user'}.${partial}`;
  if (m.status === 'failed') return `Failed: ${m.error ?? 'the answer could not be generated'}.${partial}`;
  if (m.status === 'streaming') return 'Still being generated. Reload the page to see the rest.';
  return undefined;
}

/** The notice on an answer whose conversation no longer fit the model's context window. */
export const TRUNCATED_TEXT = 'Earlier parts of this conversation did not fit the model’s context window and were left out of this answer.';

/** Whether a URL may become a link: http(s) only, never `javascript:` or `data:`. */
export const isWebUrl = (url: string): boolean => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);

function SourceLink({ url, text }: { url: string; text?: string | undefined }) {
  return isWebUrl(url) ? (
    <a href={url} rel="noopener noreferrer" target="_blank">
      {text || url}
    </a>
  ) : (
    <span>{text || url}</span>
  );
}

/**
 * The sources under an answer, numbered as the answer cites them; a page
 * that could not be read says why. chat-view.js builds the same list.
 */
export function SourcesView({ sources }: { sources: MessageSource[] }) {
  return (
    <ol class="msg-sources" data-testid="message-sources" aria-label="Sources">
      {sources.map((s, i) => {
        if (s.kind === 'document') {
          const href = `/documents/${s.documentId}${s.chunk === undefined ? '' : `#chunk-${s.chunk}`}`;
          return (
            <li data-testid="source" data-status="ok" data-kind="document">
              [{i + 1}] <a href={href}>{s.title}</a>
              <span class="host">{s.chunk === undefined ? 'whole document' : `part ${s.chunk + 1}`}</span>
              {s.truncated ? <span class="host">(shortened to fit)</span> : null}
            </li>
          );
        }
        const url = s.finalUrl ?? s.url;
        return s.error ? (
          <li class="failed" data-testid="source" data-status="failed" data-kind="web">
            [{i + 1}] could not read <SourceLink url={s.url} />: {s.error.message}
          </li>
        ) : (
          <li data-testid="source" data-status="ok" data-kind="web">
            [{i + 1}] <SourceLink url={url} text={s.title} />
            <span class="host">{isWebUrl(url) ? new URL(url).host : ''}</span>
            {s.truncated ? <span class="host">(shortened to fit)</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

/** Props of {@link MessageView}. */
export interface MessageViewProps {
  message: PublicMessage;
  /** The conversation's last message: an answer there gets the Regenerate button. */
  last: boolean;
}

/**
 * One message. A question is shown as escaped text; an answer as the HTML
 * the server rendered from its markdown (raw HTML off, no remote images),
 * with a marker when it was stopped or failed and a notice when truncated.
 */
export function MessageView({ message: m, last }: MessageViewProps) {
  const marker = m.role === 'assistant' ? markerText(m) : undefined;
  return (
    <article class={`msg ${m.role} ${m.status}`} data-testid="message" data-role={m.role} data-id={m.id} data-status={m.status}>
      <div class="msg-meta">{m.role === 'user' ? 'You' : (m.model ?? 'Assistant')}</div>
      {m.role === 'assistant' ? (
        <div class="msg-body md" data-testid="message-body">
          {raw(m.html ?? '')}
        </div>
      ) : (
        <div class="msg-body plain" data-testid="message-body">
          {m.content}
        </div>
      )}
      {m.sources.length > 0 ? <SourcesView sources={m.sources} /> : null}
      {marker ? (
        <p class="msg-marker" data-testid="message-marker">
          {marker}
        </p>
      ) : null}
      {m.truncated ? (
        <p class="msg-notice" data-testid="truncated-notice">
          {TRUNCATED_TEXT}
        </p>
      ) : null}
      <div class="msg-actions needs-js">
        {m.role === 'user' ? (
          <button type="button" class="link" data-action="edit" data-testid="edit">
            Edit
          </button>
        ) : (
          <>
            <button type="button" class="link" data-action="copy" data-testid="copy">
              Copy
            </button>
            {last ? (
              <button type="button" class="link" data-action="regenerate" data-testid="regenerate">
                Regenerate
              </button>
            ) : null}
          </>
        )}
      </div>
    </article>
  );
}
