/** @jsxImportSource hono/jsx */
import type { KnowledgeStatus } from '../knowledge/status.service.ts';

// The sqlite-vec layout as key=value pairs (its fields vary with the layout chosen).
const layoutText = (layout: Record<string, unknown>): string =>
  Object.entries(layout)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');

/** Admin: chunks, vector spaces (with a re-embedding's progress) and the ingestion queue. */
export function KnowledgeSection({ status: s }: { status: KnowledgeStatus }) {
  return (
    <section class="card" data-testid="knowledge">
      <h2>Knowledge base</h2>
      <p data-testid="knowledge-summary">
        {s.chunks} chunks indexed. Ingestion queue: {s.queue.queued} queued, {s.queue.running} running,{' '}
        <span class={s.queue.failed > 0 ? 'bad' : undefined}>{s.queue.failed} failed</span>.
      </p>
      {s.reembedding ? (
        <p data-testid="knowledge-reembedding">
          Re-embedding with <code>{s.reembedding.model}</code>: {s.reembedding.done} of {s.reembedding.of} chunks{' '}
          <progress max={Math.max(1, s.reembedding.of)} value={s.reembedding.done} aria-label="Re-embedding progress"></progress>
          {s.reembedding.error ? (
            <span class="bad" data-testid="knowledge-reembedding-error">
              {' '}
              Stalled: {s.reembedding.error}
            </span>
          ) : null}
        </p>
      ) : null}
      {s.spaces.length === 0 ? (
        <p class="muted" data-testid="knowledge-no-spaces">
          No vector space yet: documents are searched by keyword until an embedding model is the default and a document is ingested.
        </p>
      ) : (
        <table data-testid="knowledge-spaces">
          <thead>
            <tr>
              <th>Space</th>
              <th>Embedding model</th>
              <th>Dimensions</th>
              <th>State</th>
              <th>Vectors</th>
              <th>Layout</th>
            </tr>
          </thead>
          <tbody>
            {s.spaces.map((v) => (
              <tr data-testid="space-row" data-state={v.state}>
                <td>{v.id}</td>
                <td>{v.model}</td>
                <td>{v.dimensions}</td>
                <td class={v.state === 'active' ? 'ok' : v.state === 'building' ? 'warn' : 'muted'}>{v.state}</td>
                <td>{v.vectors}</td>
                <td class="small">
                  <code>{layoutText(v.layout)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
