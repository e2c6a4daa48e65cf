import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openSqlite } from '../../../../../server/db/client.ts';
import { openVectorIndex, type IvfSpec } from '../../../../../server/knowledge/store/vector-index/vector-index.ts';
import { A, B, DIMS, describeIndexContract, exactTop, K, N, rows, vectors } from '../../../../helpers/vector-index-contract.ts';

// The `ivf` index and its ways of finding candidates: by cells once trained
// (it trains itself at 1,000 rows here and retrains at 2,800), with the far
// cells bounded by the near ones' distances (when those alone give
// k·oversample candidates), in cell 0 before any training, and in one scan
// of every cell when a query would probe more than half of them.
describeIndexContract<IvfSpec>(
  {
    variants: {
      ivf: { kind: 'ivf' },
      'ivf bounded': { kind: 'ivf', oversample: 5 },
      'ivf untrained': { kind: 'ivf', trainAt: 1e9 },
      'ivf one scan': { kind: 'ivf', probes: 40 },
    },
    defaults: { oversample: 20, trainAt: 1000 },
    open: openVectorIndex,
    approximate: ['ivf', 'ivf bounded', 'ivf untrained', 'ivf one scan'],
    lossy: ['ivf bounded'],
  },
  (t) => {
    it('ivf trains itself on insert and retrains as the rows double; retrain() on demand', () => {
      const ivf = t.index('ivf');
      // Trained at 1,400 rows (37 cells), retrained at 2,800 (53 cells).
      expect(ivf.training()).toEqual({ cells: 53, trainedRows: 2800 });
      expect(t.index('ivf untrained').training()).toEqual({ cells: 0, trainedRows: 0 });
      expect(ivf.needsRetrain()).toBe(false);
      expect(ivf.retrain()).toBe(55);
      expect(ivf.training()).toEqual({ cells: 55, trainedRows: N });
      expect(ivf.knn(vectors[41]!, K)).toEqual(exactTop(vectors[41]!, K));

      const small = openVectorIndex(t.db(), { kind: 'ivf', dims: DIMS, prefix: 'kb_ivf_small', trainAt: 200 });
      small.create();
      small.insert(rows.slice(0, 150));
      expect(small.training().cells).toBe(0);
      small.insert(rows.slice(150, 300));
      expect(small.training()).toEqual({ cells: 17, trainedRows: 300 });
      small.insert(rows.slice(300, 600));
      expect(small.training()).toEqual({ cells: 24, trainedRows: 600 });
      // Deleting never retrains; it only says so once half the rows are gone.
      small.delete(rows.slice(0, 299).map((r) => r.rowid));
      expect(small.needsRetrain()).toBe(false);
      small.delete([300]);
      expect(small.needsRetrain()).toBe(true);
      expect(small.training().trainedRows).toBe(600);
      expect(small.knn(vectors[400]!, 3)[0]).toBe(401);
      small.drop();
    });

    it('ivf: another connection picks up a retrain before it probes cells', () => {
      const other = openSqlite(join(t.dir(), 'vectors.db'), { dataDir: t.dir() });
      try {
        const there = openVectorIndex(other, t.spec('ivf', true));
        expect(there.knn(vectors[5]!, K, { partitions: [A, B] })).toEqual(exactTop(vectors[5]!, K));
        t.index('ivf', true).retrain();
        expect(there.training().trainedRows).toBe(N);
        expect(there.knn(vectors[5]!, K, { partitions: [A, B] })).toEqual(exactTop(vectors[5]!, K));
      } finally {
        other.close();
      }
    });

    it('a stored layout other than ivf is refused before it touches the database', () => {
      const stored = { kind: 'binary', dims: DIMS, prefix: 'kb_space_1' } as unknown as IvfSpec;
      expect(() => openVectorIndex(t.db(), stored)).toThrow('vector layout "binary" is not supported (the store uses ivf)');
      expect(() => openVectorIndex(t.db(), { kind: 'ivf', dims: DIMS, prefix: 'kb; drop table x' })).toThrow(/is not a plain identifier/);
    });
  },
);
