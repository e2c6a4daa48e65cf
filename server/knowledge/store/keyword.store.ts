import type { Sqlite } from '../../db/client.ts';

/** A chunk with what a search result shows about it. */
export interface ChunkHit {
  id: number;
  documentId: number;
  collectionId: number;
  seq: number;
  text: string;
  startChar: number;
  endChar: number;
  title: string;
  filename: string | null;
  sourceUrl: string | null;
}

/**
 * Keyword search over chunks (FTS5, BM25) and loading chunks by id. Both
 * take the collections the caller may see and filter inside the SQL, so a
 * chunk of another user's private collection is never read at all.
 */
export function createKeywordStore(sqlite: Sqlite) {
  const search = sqlite.prepare(
    `select c.id as id from chunks_fts f join chunks c on c.id = f.rowid
     where chunks_fts match ? and c.collection_id in (select value from json_each(?))
     order by bm25(chunks_fts) limit ?`,
  );
  const load = sqlite.prepare(
    `select c.id as id, c.document_id as documentId, c.collection_id as collectionId, c.seq as seq, c.text as text,
            c.start_char as startChar, c.end_char as endChar, d.title as title, d.filename as filename, d.source_url as sourceUrl
     from chunks c join documents d on d.id = c.document_id
     where c.id in (select value from json_each(?)) and c.collection_id in (select value from json_each(?))`,
  );
  return {
    /** Chunk ids best matching an FTS5 query, best first. */
    match: (ftsQuery: string, collectionIds: readonly number[], limit: number): number[] =>
      collectionIds.length === 0 || ftsQuery === ''
        ? []
        : (search.all(ftsQuery, JSON.stringify(collectionIds), limit) as Array<{ id: number }>).map((r) => r.id),
    /** The chunks with these ids that lie in these collections, in the order of `ids`. */
    load(ids: readonly number[], collectionIds: readonly number[]): ChunkHit[] {
      if (ids.length === 0 || collectionIds.length === 0) return [];
      const rows = load.all(JSON.stringify(ids), JSON.stringify(collectionIds)) as ChunkHit[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  };
}

/** The keyword store. */
export type KeywordStore = ReturnType<typeof createKeywordStore>;
