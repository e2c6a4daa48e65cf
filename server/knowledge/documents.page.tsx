/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { Caller } from '../http/types.ts';
import { isWebUrl } from '../chat/chat-message.page.tsx';
import { when } from '../ui/components.tsx';
import { Layout, PostButton } from '../ui/layout.tsx';
import { formatBytes, progressText, ScopeBadge } from './collections-parts.page.tsx';
import type { CollectionView, DocumentView } from './collections.views.ts';

/** A chunk as the document page shows it. */
export interface ChunkView {
  seq: number;
  startChar: number;
  endChar: number;
  tokens: number;
}

/** Props of {@link DocumentPage}. */
export interface DocumentPageProps {
  caller: Caller;
  document: DocumentView;
  collection: CollectionView;
  /** The extracted text; undefined until ingestion has read the file. */
  text: string | undefined;
  chunks: ChunkView[];
}

/**
 * The document's text cut at its chunks' starts: part N runs from chunk N's
 * first character to the next chunk's, so nothing shows twice although
 * chunks overlap, and a citation (`#chunk-N`) lands where its passage begins.
 */
export function segments(text: string, chunks: ChunkView[]): Array<{ chunk: ChunkView; text: string }> {
  const sorted = [...chunks].sort((a, b) => a.startChar - b.startChar);
  return sorted.map((chunk, i) => {
    const from = i === 0 ? 0 : chunk.startChar;
    const to = i + 1 < sorted.length ? sorted[i + 1]!.startChar : text.length;
    return { chunk, text: text.slice(from, Math.max(from, to)) };
  });
}

function Meta({ d, c }: { d: DocumentView; c: CollectionView }) {
  const rows: Array<[string, Child]> = [
    [
      'Collection',
      <>
        <a href={`/collections/${c.id}`}>{c.name}</a> <ScopeBadge scope={c.scope} />
      </>,
    ],
    [
      'Source',
      d.sourceUrl ? (
        isWebUrl(d.sourceUrl) ? (
          <a href={d.sourceUrl} rel="noopener noreferrer" target="_blank">
            {d.sourceUrl}
          </a>
        ) : (
          d.sourceUrl
        )
      ) : (
        (d.filename ?? '—')
      ),
    ],
    ['Format', d.format ?? '—'],
    ['Size', formatBytes(d.sizeBytes)],
    ['Status', <span data-testid="document-status">{progressText(d)}</span>],
    ['Chunks', `${d.chunks} (about ${d.tokens} tokens)`],
    ['Added', when(new Date(d.createdAt))],
  ];
  return (
    <table class="meta" data-testid="document-meta">
      <tbody>
        {rows.map(([label, value]) => (
          <tr>
            <th scope="row">{label}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One document: its details and its text, part by part, each part the target of citations to its chunk. */
export function DocumentPage({ caller, document: d, collection: c, text, chunks }: DocumentPageProps) {
  return (
    <Layout title={d.title} caller={caller}>
      <section class="card" data-testid="document" data-id={String(d.id)}>
        <p class="muted small">
          <a href="/collections">Documents</a> / <a href={`/collections/${c.id}`}>{c.name}</a> /
        </p>
        <h1 data-testid="document-title">{d.title}</h1>
        <Meta d={d} c={c} />
        {d.status === 'failed' && d.error ? (
          <p class="notice error" data-testid="document-error">
            {d.error}
          </p>
        ) : null}
        {d.status === 'ready' ? <PostButton caller={caller} action={`/documents/${d.id}/summarise`} label="Summarise in a new chat" kind="secondary" /> : null}
      </section>
      <section class="card doc-text" data-testid="document-text">
        {text === undefined ? (
          <p class="muted">The text has not been read yet ({progressText(d)}).</p>
        ) : chunks.length === 0 ? (
          <div class="chunk-text">{text}</div>
        ) : (
          segments(text, chunks).map(({ chunk, text: part }) => (
            <section class="chunk" id={`chunk-${chunk.seq}`} data-testid="chunk" data-seq={String(chunk.seq)} aria-label={`Part ${chunk.seq + 1}`}>
              <a class="chunk-anchor muted small" href={`#chunk-${chunk.seq}`}>
                Part {chunk.seq + 1}
              </a>
              <div class="chunk-text">{part}</div>
            </section>
          ))
        )}
      </section>
    </Layout>
  );
}
