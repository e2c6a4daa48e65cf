import { afterAll, describe, expect, it } from 'vitest';
import { knowledgeCommand } from '../../../server/cli/knowledge-commands.ts';
import { tempDir } from '../../helpers/env.ts';
import { claimAdmin } from '../../helpers/identity.ts';
import { createTestServer } from '../../helpers/server.ts';
import { gauss, normalise, seededRandom } from '../../helpers/vectors.ts';
import { knowledgeStores } from '../../helpers/knowledge.ts';

const DIMS = 16; // small vectors: training and inserts stay quick; the index logic is the same
const ROWS = 24_000; // past the 10,000 rows the server trains at by itself, and doubled since

describe('onsite knowledge status | retrain', () => {
  const data = tempDir('onsite-retrain-');
  afterAll(() => data.cleanup());

  it('says when an index has grown out of its training, retrains it, and the index still answers', { timeout: 120_000 }, async () => {
    const r = seededRandom(7);
    const s = await createTestServer({}, { dataDir: data.dir });
    let probe: { id: number; vector: Float32Array; collection: number };
    try {
      await claimAdmin(s);
      const userId = (s.db.sqlite.prepare('select id from users limit 1').get() as { id: string }).id;
      s.catalog.save({ label: 'test' }, { name: 'tiny-embed', kind: 'embedding', contextLength: 512, dimensions: DIMS, isDefault: true });
      const k = s.knowledge;
      const stores = knowledgeStores(s.db);
      k.spaces.reconcile();
      const space = stores.vectors.active()!;
      const now = new Date();
      const collection = stores.collections.insert({ name: 'c', scope: 'private', ownerId: userId, createdBy: userId, createdAt: now, updatedAt: now }).id;
      const centres = Array.from({ length: 50 }, () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r))));
      for (let d = 0; d < ROWS / 100; d++) {
        const doc = stores.documents.insert({
          collectionId: collection,
          title: `d${d}`,
          status: 'ready',
          stage: 'done',
          createdBy: userId,
          createdAt: now,
          updatedAt: now,
        });
        stores.documents.transaction(() =>
          stores.documents.replaceChunks(
            doc.id,
            Array.from({ length: 100 }, (_, i) => ({
              documentId: doc.id,
              collectionId: collection,
              seq: i,
              text: `chunk ${d}.${i}`,
              startChar: 0,
              endChar: 1,
              tokens: 1,
            })),
          ),
        );
        const rows = stores.documents.chunks(doc.id).map((c) => {
          const base = centres[Math.floor(r() * centres.length)]!;
          return { chunkId: c.id, collectionId: collection, vector: normalise(base.map((x) => x + 0.3 * gauss(r))) };
        });
        stores.vectors.store(space, rows);
        if (d === 0) probe = { id: rows[0]!.chunkId, vector: rows[0]!.vector, collection };
      }
    } finally {
      s.close();
    }

    const lines: string[] = [];
    const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
    expect(await knowledgeCommand.run(['status'], s.env, io)).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`tiny-embed \\(16 dims, active\\): ${ROWS} vectors, \\d+ cells trained at \\d+ — grown out of its training`));
    lines.length = 0;
    expect(await knowledgeCommand.run(['retrain'], s.env, io)).toBe(0);
    expect(lines.join('\n')).toMatch(/→ retrained: \d+ cells in [\d.]+ s/);
    lines.length = 0;
    expect(await knowledgeCommand.run(['status'], s.env, io)).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`trained at ${ROWS}$`));
    expect(await knowledgeCommand.run(['nonsense'], s.env, io)).toBe(2);

    // The retrained index still finds a stored vector as its own nearest neighbour.
    const again = await createTestServer({}, { dataDir: data.dir });
    try {
      const space = knowledgeStores(again.db).vectors.active()!;
      expect(knowledgeStores(again.db).vectors.nearest(space, probe!.vector, 1, [probe!.collection])).toEqual([probe!.id]);
    } finally {
      again.close();
    }
  });
});
