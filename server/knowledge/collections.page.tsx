/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { Field, Notice } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';
import { ScopeBadge, SearchResults } from './collections-parts.page.tsx';
import type { CollectionView, HitView } from './collections.views.ts';

/** A search that ran: the query, its mode and notice, and the results. */
export interface SearchView {
  query: string;
  mode: string;
  notice: string | null;
  results: HitView[];
}

/** Props of {@link CollectionsPage}. */
export interface CollectionsPageProps {
  caller: Caller;
  collections: CollectionView[];
  search?: SearchView | undefined;
  error?: string | undefined;
}

function SearchBox({ query }: { query: string }) {
  return (
    <form method="get" action="/collections" class="row" role="search" data-testid="search-form">
      <input
        type="search"
        name="q"
        value={query}
        required
        maxlength={4000}
        class="grow"
        aria-label="Search the documents"
        placeholder="Search every collection you can read"
        data-testid="search-input"
      />
      <button type="submit">Search</button>
    </form>
  );
}

function CreateForm({ caller }: { caller: Caller }) {
  return (
    <form method="post" action="/collections" class="stack" data-testid="create-collection-form">
      <CsrfField caller={caller} />
      <Field label="Name" name="name" />
      <Field label="Description (optional)" name="description" required={false} />
      {caller.user.role === 'admin' ? (
        <label class="field">
          <span>Who can read it</span>
          <select name="scope" data-testid="scope-select">
            <option value="private">Private: only you</option>
            <option value="shared">Shared: every user (only admins change it)</option>
          </select>
        </label>
      ) : null}
      <button type="submit">Create collection</button>
    </form>
  );
}

/**
 * The knowledge base: the collections the user may read with their
 * document counts, a search over all of them, and a form for a new one.
 * knowledge.js runs the search in place through `POST /api/search`.
 */
export function CollectionsPage({ caller, collections, search, error }: CollectionsPageProps) {
  const names = new Map(collections.map((c) => [c.id, c.name]));
  return (
    <Layout title="Documents" caller={caller} scripts={['chat-api.js', 'knowledge-view.js', 'knowledge.js']}>
      <Notice error={error} />
      <section class="card" data-testid="search">
        <h1>Documents</h1>
        <SearchBox query={search?.query ?? ''} />
        <div class="notice error live-alert" role="alert" data-testid="search-alert"></div>
        <div data-testid="search-output" aria-live="polite">
          {search ? <SearchResults {...search} names={names} /> : null}
        </div>
      </section>
      <section class="card">
        <h2>Collections</h2>
        {collections.length === 0 ? (
          <p class="muted" data-testid="collections-empty">
            No collections yet. Create one below, then upload documents to it.
          </p>
        ) : (
          <table data-testid="collections-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Access</th>
                <th>Documents</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {collections.map((c) => (
                <tr data-testid="collection-row" data-id={String(c.id)} data-name={c.name}>
                  <td>
                    <a href={`/collections/${c.id}`} data-testid="collection-link">
                      {c.name}
                    </a>
                  </td>
                  <td>
                    <ScopeBadge scope={c.scope} />
                  </td>
                  <td data-testid="collection-counts">
                    {c.ready} of {c.documents} ready
                  </td>
                  <td class="muted">{c.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card">
        <h2>New collection</h2>
        <CreateForm caller={caller} />
      </section>
    </Layout>
  );
}
