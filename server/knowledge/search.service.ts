import { AppError, isAppError } from '../kernel/errors.ts';
import type { Log } from '../kernel/log.ts';
import type { CollectionsStore } from './store/collections.store.ts';
import type { ChunkHit, KeywordStore } from './store/keyword.store.ts';
import type { VectorsStore } from './store/vectors.store.ts';
import { ftsQuery } from './search/fts-query.ts';
import { fuseRanks, type RankedList } from './search/fuse.ts';

/** Embeds query texts with a model for a user (budgets and ledger apply). */
export type QueryEmbedder = (userId: string, model: string, texts: string[], signal: AbortSignal | undefined) => Promise<number[][]>;

/** What to search: the queries (one, or several for a follow-up), where, and how many results. */
export interface SearchInput {
  userId: string;
  queries: string[];
  /** Collections to search; all the user may read when absent. Unreadable ones are `not_found`. */
  collectionIds?: readonly number[] | undefined;
  topK?: number | undefined;
  /** Which retrievers run (the quality test compares them); both by default. */
  methods?: { keyword?: boolean; vector?: boolean } | undefined;
}

/** One result: a chunk, its document and how it ranked. */
export interface SearchHit extends ChunkHit {
  score: number;
  /** 1-based rank in the keyword and vector lists of the first query that found it. */
  keywordRank?: number | undefined;
  vectorRank?: number | undefined;
}

/** Results, and whether vector search took part (and why not). */
export interface SearchOutcome {
  hits: SearchHit[];
  mode: 'hybrid' | 'keyword' | 'vector';
  notice?: string | undefined;
}

/**
 * Hybrid retrieval: FTS5 BM25 and vector KNN for every query, fused by
 * reciprocal rank. Both searches filter by the readable collections inside
 * their SQL. When vectors cannot be had (no embedding model, no miner) the
 * search still answers from keywords and says so.
 */
export function createRetrieval(deps: {
  collections: CollectionsStore;
  keyword: KeywordStore;
  vectors: VectorsStore;
  embed: QueryEmbedder;
  defaultTopK: number;
  log: Log;
}) {
  const { collections, keyword, vectors } = deps;

  /** The collections a search may read: the asked ones, checked, or every readable one. */
  function scope(userId: string, asked: readonly number[] | undefined): number[] {
    if (asked === undefined) return collections.allReadableIds(userId);
    const unique = [...new Set(asked)];
    const readable = collections.readableIds(userId, unique);
    // Someone else's private collection reads as missing: its existence is private too.
    if (readable.length !== unique.length) throw new AppError('not_found', `no such collection: ${unique.filter((id) => !readable.includes(id)).join(', ')}`);
    return readable;
  }

  return {
    scope,
    async search(input: SearchInput, signal?: AbortSignal): Promise<SearchOutcome> {
      const topK = input.topK ?? deps.defaultTopK;
      const ids = scope(input.userId, input.collectionIds);
      const queries = input.queries.map((q) => q.trim()).filter(Boolean);
      if (ids.length === 0 || queries.length === 0) return { hits: [], mode: 'hybrid' };
      const pool = Math.max(topK * 4, 20);
      const useKeyword = input.methods?.keyword ?? true;
      const useVector = input.methods?.vector ?? true;
      const lists: Array<RankedList & { kind: 'keyword' | 'vector' }> = [];
      if (useKeyword) for (const q of queries) lists.push({ kind: 'keyword', ids: keyword.match(ftsQuery(q), ids, pool) });
      let notice: string | undefined;
      if (useVector) {
        let space = vectors.active();
        if (!space) notice = 'no embedding model is set up, so only keywords were searched';
        else {
          try {
            // A re-embedding may promote a new space (and drop this one's tables) while the query is
            // embedded: the space is read again after the wait, and the query embedded once more for
            // the new one. The lookup itself is synchronous, so nothing can swap between check and use.
            for (let tries = 0; space && tries < 2; tries++) {
              const embedded = await deps.embed(input.userId, space.model, queries, signal);
              const now = vectors.active();
              if (now?.id !== space.id) {
                space = now;
                continue;
              }
              for (const v of embedded) lists.push({ kind: 'vector', ids: vectors.nearest(space, Float32Array.from(v), pool, ids) });
              break;
            }
            if (!lists.some((l) => l.kind === 'vector')) notice = 'the embedding model changed during the search, so only keywords were searched';
          } catch (err) {
            if (signal?.aborted) throw err;
            notice = `vector search was unavailable (${isAppError(err) ? err.message : 'internal error'}), so only keywords were searched`;
            if (!isAppError(err)) deps.log.error({ err }, 'query embedding failed');
          }
        }
      }
      const fused = fuseRanks(lists).slice(0, topK);
      const rankIn = (kind: 'keyword' | 'vector', id: number) => {
        for (const l of lists) if (l.kind === kind && l.ids.includes(id)) return l.ids.indexOf(id) + 1;
        return undefined;
      };
      const score = new Map(fused.map((f) => [f.id, f.score]));
      const hits = keyword
        .load(
          fused.map((f) => f.id),
          ids,
        )
        .map((h) => ({ ...h, score: score.get(h.id)!, keywordRank: rankIn('keyword', h.id), vectorRank: rankIn('vector', h.id) }));
      const vectorRan = lists.some((l) => l.kind === 'vector');
      return { hits, mode: useKeyword && vectorRan ? 'hybrid' : vectorRan ? 'vector' : 'keyword', notice };
    },
  };
}

/** The retrieval service. */
export type Retrieval = ReturnType<typeof createRetrieval>;
