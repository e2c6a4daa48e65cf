/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { Notice } from '../ui/components.tsx';
import { CsrfField, Layout, PostButton } from '../ui/layout.tsx';
import { canWrite, DocumentRow, ScopeBadge } from './collections-parts.page.tsx';
import type { CollectionView, DocumentView } from './collections.views.ts';

/** Props of {@link CollectionPage}. */
export interface CollectionPageProps {
  caller: Caller;
  collection: CollectionView;
  documents: DocumentView[];
  /** Whether the caller's groups may upload files (feature `uploads`). */
  uploads: boolean;
  /** Whether the caller may change it (owner, admin, or a read-write group share); from the role and owner when absent. */
  writable?: boolean | undefined;
  error?: string | undefined;
  info?: string | undefined;
}

function AddDocuments({ caller, c, uploads }: { caller: Caller; c: CollectionView; uploads: boolean }) {
  return (
    <section class="card">
      <h2>Add documents</h2>
      {uploads ? null : <p class="muted">Your groups may not upload files; importing a web page below still works.</p>}
      <form
        hidden={!uploads}
        method="post"
        action={`/api/collections/${c.id}/documents`}
        enctype="multipart/form-data"
        class="stack needs-js"
        data-testid="upload-form"
      >
        <label class="field">
          <span>Files (PDF, Word, Markdown, text, HTML)</span>
          <input type="file" name="file" multiple required data-testid="upload-input" />
        </label>
        <button type="submit" data-testid="upload-button">
          Upload
        </button>
      </form>
      <ul class="uploads" data-testid="uploads" aria-live="polite"></ul>
      <noscript>
        <p class="notice info">Uploading files needs JavaScript; importing a web page below works without it.</p>
      </noscript>
      <form method="post" action={`/collections/${c.id}/import`} class="row" data-testid="import-form">
        <CsrfField caller={caller} />
        <label class="field grow">
          <span>Import a web page</span>
          <input type="url" name="url" required maxlength={2048} placeholder="https://intranet.example/policy" data-testid="import-url" />
        </label>
        <button type="submit" class="secondary">
          Import
        </button>
      </form>
    </section>
  );
}

function Manage({ caller, c }: { caller: Caller; c: CollectionView }) {
  return (
    <details class="card" data-testid="manage">
      <summary>Rename or delete this collection</summary>
      <form method="post" action={`/collections/${c.id}/rename`} class="stack" data-testid="rename-collection-form">
        <CsrfField caller={caller} />
        <label class="field">
          <span>Name</span>
          <input name="name" value={c.name} required maxlength={200} />
        </label>
        <label class="field">
          <span>Description</span>
          <input name="description" value={c.description} maxlength={2000} />
        </label>
        <button type="submit" class="secondary">
          Save
        </button>
      </form>
      <p>
        <PostButton
          caller={caller}
          action={`/collections/${c.id}/delete`}
          label="Delete collection"
          kind="danger"
          confirm={`Delete “${c.name}” with all its documents?`}
        />
      </p>
    </details>
  );
}

/**
 * One collection: its documents with their ingestion progress, uploads
 * (knowledge.js sends each file with a progress bar, then polls the
 * statuses), web page imports, and a conversation grounded in it.
 */
export function CollectionPage({ caller, collection: c, documents, uploads, writable: mayChange, error, info }: CollectionPageProps) {
  const writable = mayChange ?? canWrite(caller, c);
  return (
    <Layout title={c.name} caller={caller} scripts={['chat-api.js', 'knowledge-view.js', 'knowledge.js']}>
      <Notice error={error} info={info} />
      <section class="card" data-testid="collection" data-id={String(c.id)} data-writable={String(writable)}>
        <p class="muted small">
          <a href="/collections">Documents</a> /
        </p>
        <h1 data-testid="collection-name">
          {c.name} <ScopeBadge scope={c.scope} />
        </h1>
        {c.description ? <p class="muted">{c.description}</p> : null}
        <form method="post" action={`/collections/${c.id}/chat`} class="inline">
          <CsrfField caller={caller} />
          <button type="submit" data-testid="chat-with-collection">
            Chat with this collection
          </button>
        </form>
        <div class="notice error live-alert" role="alert" data-testid="collection-alert"></div>
        <table data-testid="documents-table">
          <thead>
            <tr>
              <th>Title</th>
              <th>Format</th>
              <th>Size</th>
              <th>Status</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody data-testid="documents">
            {documents.map((d) => (
              <DocumentRow caller={caller} d={d} writable={writable} />
            ))}
          </tbody>
        </table>
        <p class="muted" data-testid="documents-empty" hidden={documents.length > 0}>
          No documents yet.
        </p>
      </section>
      {writable ? (
        <AddDocuments caller={caller} c={c} uploads={uploads} />
      ) : (
        <p class="muted">Only {c.scope === 'shared' ? 'an admin' : 'its owner'} adds documents to this collection.</p>
      )}
      {writable ? <Manage caller={caller} c={c} /> : null}
    </Layout>
  );
}
