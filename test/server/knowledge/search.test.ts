import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createRetrieval, type QueryEmbedder } from '../../../server/knowledge/search.service.ts';
import type { CollectionsStore } from '../../../server/knowledge/store/collections.store.ts';
import type { KeywordStore } from '../../../server/knowledge/store/keyword.store.ts';
import type { VectorsStore } from '../../../server/knowledge/store/vectors.store.ts';
import type { VectorSpace } from '../../../server/knowledge/knowledge.types.ts';

const space = (id: number, model: string) => ({ id, model, dimensions: 2, state: 'active' }) as VectorSpace;

/**
 * A re-embedding promotes a new vector space, and drops the old one's tables,
 * while a search waits for its query embedding: the search must never touch
 * the dropped space. Stores are stand-ins typed by the real interfaces so the
 * swap can be placed exactly inside the wait.
 */
function harness(afterFirstEmbed: VectorSpace | undefined) {
  let active: VectorSpace | undefined = space(1, 'old-embed');
  const dropped = new Set<number>();
  const embeddedWith: string[] = [];
  const searched: number[] = [];
  const embed: QueryEmbedder = async (_user, model, texts) => {
    embeddedWith.push(model);
    await new Promise((r) => setTimeout(r, 5));
    if (embeddedWith.length === 1) {
      dropped.add(active!.id);
      active = afterFirstEmbed;
    }
    return texts.map(() => [1, 0]);
  };
  const vectors = {
    active: () => active,
    nearest: (s: VectorSpace) => {
      if (dropped.has(s.id)) throw new Error(`no such table: kb_space_${s.id}_counts`);
      searched.push(s.id);
      return [7];
    },
  } as unknown as VectorsStore;
  const collections = { allReadableIds: () => [1], readableIds: (_u: string, ids: number[]) => ids } as unknown as CollectionsStore;
  const keyword = {
    match: () => [7],
    load: (ids: number[]) => ids.map((id) => ({ id, documentId: 1, collectionId: 1, title: 'T', ordinal: 0, text: 'x' })),
  } as unknown as KeywordStore;
  const retrieval = createRetrieval({ collections, keyword, vectors, embed, defaultTopK: 5, log: pino({ level: 'silent' }) });
  return { retrieval, embeddedWith, searched };
}

describe('search while the vector space is swapped', () => {
  it('embeds the query again for the space promoted during the wait and searches that one only', async () => {
    const h = harness(space(2, 'new-embed'));
    const out = await h.retrieval.search({ userId: 'u', queries: ['vpn'] });
    expect(h.embeddedWith).toEqual(['old-embed', 'new-embed']);
    expect(h.searched).toEqual([2]);
    expect(out).toMatchObject({ mode: 'hybrid', notice: undefined });
  });

  it('answers from keywords, saying why, when no space is active after the wait', async () => {
    const h = harness(undefined);
    const out = await h.retrieval.search({ userId: 'u', queries: ['vpn'] });
    expect(h.searched).toEqual([]);
    expect(out.mode).toBe('keyword');
    expect(out.notice).toMatch(/embedding model changed during the search/);
    expect(out.hits.map((x) => x.id)).toEqual([7]);
  });
});
