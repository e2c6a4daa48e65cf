import { AppError } from '../kernel/errors.ts';
import type { Retrieval, SearchInput, SearchOutcome } from './search.service.ts';
import type { CollectionsStore } from './store/collections.store.ts';
import type { DocumentsStore } from './store/documents.store.ts';

/**
 * The knowledge base as chat and the OpenAI-compatible API read it: the
 * user's readable collections, hybrid search, and whole documents, every
 * read checked against what the user may see.
 */
export function createGrounding(deps: { collections: CollectionsStore; documents: DocumentsStore; retrieval: Retrieval }) {
  const { collections, documents, retrieval } = deps;
  return {
    readableCollections: (userId: string, ids: readonly number[]): number[] => collections.readableIds(userId, [...new Set(ids)]),
    search: (input: SearchInput, signal?: AbortSignal): Promise<SearchOutcome> => retrieval.search(input, signal),
    wholeDocument(userId: string, documentId: number): { id: number; collectionId: number; title: string; text: string } {
      const doc = documents.get(documentId);
      if (!doc || !collections.readableOne(userId, doc.collectionId)) throw new AppError('not_found', `no such document: ${documentId}`);
      const text = documents.text(doc.id);
      if (text === undefined)
        throw new AppError(
          'document_not_ready',
          `“${doc.title}” has not been read yet (${doc.status === 'failed' ? `it failed: ${doc.error ?? 'unknown reason'}` : 'it is still queued'})`,
        );
      return { id: doc.id, collectionId: doc.collectionId, title: doc.title, text };
    },
  };
}

/** The grounding service: what chat and /v1 read of the knowledge base. */
export type GroundingService = ReturnType<typeof createGrounding>;

// Chat budgets prompts and rewrites follow-up questions the way the knowledge base indexes and searches.
export { estimateTokens } from './chunking/tokens.ts';
export { cleanRewrite, contextualQuery, rewriteMessages } from './search/follow-up.ts';
