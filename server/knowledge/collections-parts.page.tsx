/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { mayWrite } from './collections.service.ts';
import type { CollectionView, DocumentView, HitView } from './collections.views.ts';
import { PostButton } from '../ui/layout.tsx';

/** Whether the caller may change a collection: its owner for a private one, an admin for a shared one. */
export function canWrite(caller: Caller, c: Pick<CollectionView, 'scope' | 'ownerId'>): boolean {
  return mayWrite(caller.user, c);
}

/** A byte count for people: 512 B, 12.3 KB, 4.0 MB. Same as knowledge-view.js. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const STAGES: Record<string, string> = { extract: 'reading the text', chunk: 'splitting into chunks', embed: 'embedding' };

/** Where a document's ingestion stands, in words. Same as knowledge-view.js. */
export function progressText(d: Pick<DocumentView, 'status' | 'stage' | 'chunks' | 'embeddedChunks' | 'attempts'>): string {
  if (d.status === 'failed') return 'failed';
  if (d.status === 'queued') return d.attempts > 0 ? `queued, try ${d.attempts + 1}` : 'queued';
  if (d.chunks > 0) return `${d.status}: embedded ${d.embeddedChunks} of ${d.chunks} chunks`;
  return d.status === 'processing' ? `processing: ${STAGES[d.stage] ?? d.stage}` : d.status;
}

/** The private/shared badge of a collection. */
export function ScopeBadge({ scope }: { scope: 'private' | 'shared' }) {
  return (
    <span class={`badge ${scope}`} data-testid="scope">
      {scope}
    </span>
  );
}

/**
 * One row of a collection's documents table: title (a link once ready),
 * format, size, progress, and the actions the caller may take.
 * knowledge-view.js builds the same row when polling.
 */
export function DocumentRow({ caller, d, writable }: { caller: Caller; d: DocumentView; writable: boolean }) {
  const busy = d.status === 'queued' || d.status === 'processing';
  return (
    <tr data-testid="document-row" data-id={String(d.id)} data-status={d.status} data-updated={d.updatedAt}>
      <td>
        {d.status === 'ready' ? (
          <a href={`/documents/${d.id}`} data-testid="document-link">
            {d.title}
          </a>
        ) : (
          <span>{d.title}</span>
        )}
      </td>
      <td>{d.format ?? '—'}</td>
      <td>{formatBytes(d.sizeBytes)}</td>
      <td>
        <span class={`status ${d.status}`} data-testid="document-status">
          {progressText(d)}
        </span>
        {busy && d.chunks > 0 ? <progress max={d.chunks} value={d.embeddedChunks} aria-label={`Embedding ${d.title}`}></progress> : null}
        {d.status === 'failed' && d.error ? (
          <p class="bad small" data-testid="document-error">
            {d.error}
          </p>
        ) : null}
      </td>
      <td class="row">
        {d.status === 'ready' ? <PostButton caller={caller} action={`/documents/${d.id}/summarise`} label="Summarise" kind="secondary" /> : null}
        {writable && d.status === 'failed' ? <PostButton caller={caller} action={`/documents/${d.id}/retry`} label="Retry" kind="secondary" /> : null}
        {writable ? (
          <PostButton caller={caller} action={`/documents/${d.id}/delete`} label="Delete" kind="danger" confirm={`Delete “${d.title}” and its chunks?`} />
        ) : null}
      </td>
    </tr>
  );
}

/** The link a citation or search result takes: the document page, scrolled to the chunk. */
export const chunkHref = (documentId: number, chunk: number | undefined): string => `/documents/${documentId}${chunk === undefined ? '' : `#chunk-${chunk}`}`;

/** A result's passage on one line, shortened for the list. Same as knowledge-view.js. */
export function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 280 ? `${line.slice(0, 280).trimEnd()}…` : line;
}

/** Search results: how the search ran (and why not fully), then each hit with its passage. knowledge-view.js builds the same list. */
export function SearchResults({
  query,
  mode,
  notice,
  results,
  names,
}: {
  query: string;
  mode: string;
  notice: string | null;
  results: HitView[];
  names: Map<number, string>;
}) {
  return (
    <div data-testid="search-results">
      <p class="muted small" data-testid="search-mode">
        {results.length} result{results.length === 1 ? '' : 's'} for “{query}” ({mode} search){notice ? `. ${notice}` : ''}
      </p>
      <ol class="hits">
        {results.map((h) => (
          <li data-testid="search-hit">
            <a href={chunkHref(h.documentId, h.chunk)} data-testid="hit-link">
              {h.title}
            </a>
            <span class="muted small">
              {' '}
              part {h.chunk + 1}
              {names.get(h.collectionId) ? ` in ${names.get(h.collectionId)}` : ''}
            </span>
            <p class="snippet">{snippet(h.text)}</p>
          </li>
        ))}
      </ol>
    </div>
  );
}
