import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type Sqlite } from '../../../server/db/client.ts';
import {
  countVectors,
  createLayout,
  deleteVectors,
  dropLayout,
  insertVectors,
  knn,
  layoutTraining,
  needsRetrain,
  retrain,
  type LayoutKind,
  type LayoutSpec,
} from '../../../server/knowledge/vector-layout.ts';
import { gauss, normalise, seededRandom } from '../../helpers/vectors.ts';

const N = 3000;
const DIMS = 64;
const K = 10;
const A = 7; // partition ids: collections
const B = 9;

// Clustered unit vectors (40 centres + noise): like embeddings, neighbours
// share a topic, which is what quantised search has to resolve.
const r = seededRandom(42);
const centres = Array.from({ length: 40 }, () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r))));
const vectors = Array.from({ length: N }, (_, i) => normalise(Float32Array.from(centres[i % centres.length]!, (x) => x + 0.12 * gauss(r))));
// Rows 1…2500 in A, the rest in B: A's scope is larger than the exact-search
// threshold (2,000 rows), so partitioned ivf queries of A take the cell path.
const partitionOf = (rowid: number) => (rowid <= 2500 ? A : B);
const rows = vectors.map((vector, i) => ({ rowid: i + 1, vector, partition: partitionOf(i + 1) }));

function exactTop(query: Float32Array, k: number, keep: (rowid: number) => boolean = () => true): number[] {
  const scored = [];
  for (let i = 0; i < N; i++) {
    if (!keep(i + 1)) continue;
    let d = 0;
    for (let j = 0; j < DIMS; j++) d += vectors[i]![j]! * query[j]!;
    scored.push({ rowid: i + 1, d });
  }
  return scored.sort((a, b) => b.d - a.d).slice(0, k).map((s) => s.rowid);
}

let dir: string;
let db: Sqlite;
// Every layout, and the ivf layout's ways of finding candidates: by cells
// once trained (it trains itself at 1,000 rows here and retrains at 2,800),
// with the far cells bounded by the near ones' distances (when those alone
// give k·oversample candidates), in cell 0 before any training, and in one
// scan of every cell when a query would probe more than half of them.
const variants = {
  float: { kind: 'float' },
  binary: { kind: 'binary' },
  int8: { kind: 'int8' },
  ivf: { kind: 'ivf' },
  'ivf bounded': { kind: 'ivf', oversample: 5 },
  'ivf untrained': { kind: 'ivf', trainAt: 1e9 },
  'ivf one scan': { kind: 'ivf', probes: 40 },
} satisfies Record<string, Partial<LayoutSpec>>;
type Variant = keyof typeof variants;
const names = Object.keys(variants) as Variant[];
const spec = (name: Variant, partitioned = false): LayoutSpec => ({
  dims: DIMS,
  prefix: `kb_${name.replace(/ /g, '_')}${partitioned ? '_p' : ''}`,
  oversample: 20,
  partitioned,
  trainAt: 1000,
  ...variants[name],
});

/** Rows in each table that holds one row per vector (vec0's `_rowids` shadow table for the vec0 one). */
function tableRows(kind: LayoutKind, prefix: string): Record<string, number> {
  const tables = kind === 'float' ? [`${prefix}_float_rowids`] : [`${prefix}_${kind}_rowids`, `${prefix}_vectors`];
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`select count(*) n from ${t}`).get() as { n: number }).n]));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-vec-'));
  db = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
  for (const name of names) {
    for (const partitioned of [false, true]) {
      createLayout(db, spec(name, partitioned));
      createLayout(db, spec(name, partitioned)); // idempotent
      // Batches: inserts are meant to be streamed in transactions.
      for (let i = 0; i < N; i += 700) insertVectors(db, spec(name, partitioned), rows.slice(i, i + 700));
    }
  }
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vector layouts', () => {
  it.each(names)('%s: a stored vector as query returns itself first, then the exact top-10', (name) => {
    for (const id of [1, 777, 2999]) {
      const got = knn(db, spec(name), vectors[id - 1]!, K);
      expect(got[0]).toBe(id);
      const exact = exactTop(vectors[id - 1]!, K);
      // Few candidates (k·5) may cost 'ivf bounded' one of the ten; every other layout returns the exact ten, in order.
      expect(got).toHaveLength(K);
      expect(got.filter((rowid) => !exact.includes(rowid)).length).toBeLessThanOrEqual(name === 'ivf bounded' ? 1 : 0);
      expect(got.filter((rowid) => exact.includes(rowid))).toEqual(exact.filter((rowid) => got.includes(rowid)));
    }
  });

  it.each(['binary', 'int8', 'ivf', 'ivf bounded', 'ivf untrained', 'ivf one scan'] as const)('%s + float re-scoring: recall@10 ≥ 0.9 on clustered queries', (name) => {
    const q = seededRandom(7);
    let hits = 0;
    const queries = 50;
    for (let i = 0; i < queries; i++) {
      const near = vectors[Math.floor(q() * N)]!;
      const query = normalise(Float32Array.from(near, (x) => x + 0.05 * gauss(q)));
      const truth = new Set(exactTop(query, K));
      hits += knn(db, spec(name), query, K).filter((id) => truth.has(id)).length;
    }
    expect(hits / (queries * K)).toBeGreaterThanOrEqual(0.9);
  });

  it('float brute force is exact for an arbitrary query, partitioned or not', () => {
    const query = normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));
    expect(knn(db, spec('float'), query, K)).toEqual(exactTop(query, K));
    expect(knn(db, spec('float', true), query, K, { partitions: [A, B] })).toEqual(exactTop(query, K));
    expect(knn(db, spec('float', true), query, K, { partitions: [B] })).toEqual(exactTop(query, K, (id) => partitionOf(id) === B));
  });

  it.each(names)('%s: counts its rows', (name) => {
    expect(countVectors(db, spec(name))).toBe(N);
    expect(countVectors(db, spec(name, true))).toBe(N);
  });

  it('ivf trains itself on insert and retrains as the rows double; retrain() on demand', () => {
    // Trained at 1,400 rows (37 cells), retrained at 2,800 (53 cells).
    expect(layoutTraining(db, spec('ivf'))).toEqual({ cells: 53, trainedRows: 2800 });
    expect(layoutTraining(db, spec('ivf untrained'))).toEqual({ cells: 0, trainedRows: 0 });
    expect(needsRetrain(db, spec('ivf'))).toBe(false);
    expect(retrain(db, spec('ivf'))).toBe(55);
    expect(layoutTraining(db, spec('ivf'))).toEqual({ cells: 55, trainedRows: N });
    expect(needsRetrain(db, spec('float'))).toBe(false);
    expect(retrain(db, spec('float'))).toBe(0);
    expect(knn(db, spec('ivf'), vectors[41]!, K)).toEqual(exactTop(vectors[41]!, K));

    const small: LayoutSpec = { kind: 'ivf', dims: DIMS, prefix: 'kb_ivf_small', trainAt: 200 };
    createLayout(db, small);
    insertVectors(db, small, rows.slice(0, 150));
    expect(layoutTraining(db, small).cells).toBe(0);
    insertVectors(db, small, rows.slice(150, 300));
    expect(layoutTraining(db, small)).toEqual({ cells: 17, trainedRows: 300 });
    insertVectors(db, small, rows.slice(300, 600));
    expect(layoutTraining(db, small)).toEqual({ cells: 24, trainedRows: 600 });
    // Deleting never retrains; it only says so once half the rows are gone.
    deleteVectors(db, small, rows.slice(0, 299).map((r) => r.rowid));
    expect(needsRetrain(db, small)).toBe(false);
    deleteVectors(db, small, [300]);
    expect(needsRetrain(db, small)).toBe(true);
    expect(layoutTraining(db, small).trainedRows).toBe(600);
    expect(knn(db, small, vectors[400]!, 3)[0]).toBe(401);
    dropLayout(db, small);
  });

  it('ivf: another connection picks up a retrain before it probes cells', () => {
    const other = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
    try {
      expect(knn(other, spec('ivf', true), vectors[5]!, K, { partitions: [A, B] })).toEqual(exactTop(vectors[5]!, K));
      retrain(db, spec('ivf', true));
      expect(layoutTraining(other, spec('ivf', true)).trainedRows).toBe(N);
      expect(knn(other, spec('ivf', true), vectors[5]!, K, { partitions: [A, B] })).toEqual(exactTop(vectors[5]!, K));
    } finally {
      other.close();
    }
  });
});

describe('partitioned layouts', () => {
  it.each(names)('%s: a query of partition A never returns rows of B, even when they are nearer', (name) => {
    const s = spec(name, true);
    // Queries equal to B's rows: B holds the exact answers, A must not give them.
    for (const id of [2501, 2800, 3000]) {
      const query = vectors[id - 1]!;
      const got = knn(db, s, query, K, { partitions: [A] });
      expect(got).toHaveLength(K);
      expect(got.every((rowid) => partitionOf(rowid) === A)).toBe(true);
      const truth = new Set(exactTop(query, K, (rowid) => partitionOf(rowid) === A));
      expect(got.filter((rowid) => truth.has(rowid)).length).toBeGreaterThanOrEqual(name === 'float' ? K : 8);
      // The small partition: only B's rows, its own vector first.
      const inB = knn(db, s, query, K, { partitions: [B] });
      expect(inB[0]).toBe(id);
      expect(inB.every((rowid) => partitionOf(rowid) === B)).toBe(true);
    }
  });

  it.each(names)('%s: no partitions (empty, absent or unknown) finds nothing', (name) => {
    expect(knn(db, spec(name, true), vectors[0]!, K, { partitions: [] })).toEqual([]);
    expect(knn(db, spec(name, true), vectors[0]!, K)).toEqual([]);
    expect(knn(db, spec(name, true), vectors[0]!, K, { partitions: [12345] })).toEqual([]);
  });

  it.each(names)('%s: a row without a partition is refused', (name) => {
    expect(() => insertVectors(db, spec(name, true), [{ rowid: N + 1, vector: vectors[0]! }])).toThrow(`vector ${N + 1} has no partition, the layout ${spec(name, true).prefix} is partitioned`);
    expect(countVectors(db, spec(name, true))).toBe(N);
  });
});

describe('dimension checks', () => {
  it.each(names)('%s: a vector of the wrong dimension is a clear error, and nothing is stored', (name) => {
    const bad = [{ rowid: N + 1, vector: vectors[0]! }, { rowid: N + 2, vector: new Float32Array(DIMS + 1) }];
    expect(() => insertVectors(db, spec(name), bad)).toThrow(`vector ${N + 2} has ${DIMS + 1} dimensions, the ${spec(name).kind} layout ${spec(name).prefix} expects ${DIMS}`);
    expect(() => knn(db, spec(name), new Float32Array(DIMS - 1), K)).toThrow(/query has 63 dimensions/);
    expect(() => knn(db, spec(name), vectors[0]!, 0)).toThrow(/k must be a positive integer/);
    expect(countVectors(db, spec(name))).toBe(N);
    expect(knn(db, spec(name), vectors[0]!, 2)).toEqual(exactTop(vectors[0]!, 2));
  });
});

describe('deleting vectors', () => {
  it.each(names)('%s: removes rows from every table of the layout, only those that exist', (name) => {
    for (const partitioned of [false, true]) {
      const s = spec(name, partitioned);
      const prefix = s.prefix;
      const before = tableRows(s.kind, prefix);
      const gone = [3, 2600, 1500];
      expect(deleteVectors(db, s, [...gone, 999_999])).toBe(3);
      expect(countVectors(db, s)).toBe(N - 3);
      const after = tableRows(s.kind, prefix);
      for (const [table, n] of Object.entries(before)) expect([table, after[table]]).toEqual([table, n - 3]);
      const opts = partitioned ? { partitions: [A, B] } : {};
      for (const id of gone) expect(knn(db, s, vectors[id - 1]!, K, opts)).not.toContain(id);
      expect(deleteVectors(db, s, gone)).toBe(0);
      // Back in, for the other tests.
      insertVectors(db, s, gone.map((id) => rows[id - 1]!));
      expect(countVectors(db, s)).toBe(N);
      expect(knn(db, s, vectors[2]!, 1, opts)).toEqual([3]);
    }
  });

  it.each(names)('%s: a delete inside the caller’s transaction rolls back with it', (name) => {
    const s = spec(name, true);
    expect(() =>
      db.transaction(() => {
        expect(deleteVectors(db, s, [10, 11])).toBe(2);
        throw new Error('abort');
      })(),
    ).toThrow('abort');
    expect(countVectors(db, s)).toBe(N);
    expect(knn(db, s, vectors[9]!, 1, { partitions: [A] })).toEqual([10]);
  });

  it.each(names)('%s: dropping the layout removes its tables', (name) => {
    const s = { ...spec(name, true), prefix: `kb_drop_${name.replace(/ /g, '_')}` };
    createLayout(db, s);
    insertVectors(db, s, rows.slice(0, 10));
    dropLayout(db, s);
    const left = db.prepare(`select name from sqlite_master where name like 'kb_drop_%'`).all();
    expect(left).toEqual([]);
  });
});
