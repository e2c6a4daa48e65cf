import type { DocumentsStore } from './store/documents.store.ts';
import type { QueueStore } from './store/queue.store.ts';
import type { VectorsStore } from './store/vectors.store.ts';
import type { VectorSpace } from './knowledge.types.ts';

/** A vector space as the admin status shows it. */
export interface SpaceStatus {
  id: number;
  model: string;
  dimensions: number;
  state: VectorSpace['state'];
  vectors: number;
  layout: Record<string, unknown>;
}

/** The knowledge base at a glance (see {@link knowledgeStatus}). */
export type KnowledgeStatus = ReturnType<typeof knowledgeStatus>;

/**
 * The knowledge base at a glance for admins: chunks, the vector spaces
 * (and how far a re-embedding has come) and the ingestion queue.
 */
export function knowledgeStatus(deps: { documents: DocumentsStore; vectors: VectorsStore; queue: QueueStore }) {
  const chunks = deps.documents.chunkCount();
  const spaces: SpaceStatus[] = deps.vectors
    .live()
    .map((s) => ({ id: s.id, model: s.model, dimensions: s.dimensions, state: s.state, vectors: deps.vectors.embedded(s.id), layout: s.layout }));
  const building = spaces.find((s) => s.state === 'building');
  return {
    chunks,
    spaces,
    reembedding: building ? { model: building.model, done: building.vectors, of: chunks, error: deps.queue.forSpace(building.id)?.error ?? null } : null,
    queue: deps.queue.counts(),
  };
}
