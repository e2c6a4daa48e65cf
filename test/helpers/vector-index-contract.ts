import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type Sqlite } from '../../server/db/client.ts';
import type { IndexSpec, VectorIndex } from '../../server/knowledge/store/vector-index/vector-index.ts';
import { gauss, normalise, seededRandom } from './vectors.ts';

/** Vectors in the contract's index: enough for the `ivf` index to train itself. */
export const N = 3000;
/** Dimensions of the contract's vectors. */
export const DIMS = 64;
/** Results per query. */
export const K = 10;
/** The big partition (collection id): rows 1…2500. */
export const A = 7;
/** The small partition: rows 2501…3000. */
export const B = 9;

// Clustered unit vectors (40 centres + noise): like embeddings, neighbours
// share a topic, which is what quantised search has to resolve.
const r = seededRandom(42);
const centres = Array.from({ length: 40 }, () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r))));
/** The stored vectors: row i is rowid i + 1. */
export const vectors = Array.from({ length: N }, (_, i) => normalise(Float32Array.from(centres[i % centres.length]!, (x) => x + 0.12 * gauss(r))));
// Rows 1…2500 in A, the rest in B: A's scope is larger than the exact-search
// threshold (2,000 rows), so partitioned ivf queries of A take the cell path.
/** The partition of a rowid. */
export const partitionOf = (rowid: number) => (rowid <= 2500 ? A : B);
/** The stored rows, with their partitions. */
export const rows = vectors.map((vector, i) => ({ rowid: i + 1, vector, partition: partitionOf(i + 1) }));

/** An arbitrary unit query, from the fixtures' generator. */
export const randomQuery = () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));

/** The exact top-k rowids by cosine among the rows `keep` accepts: the truth every index is held to. */
export function exactTop(query: Float32Array, k: number, keep: (rowid: number) => boolean = () => true): number[] {
  const scored = [];
  for (let i = 0; i < N; i++) {
    if (!keep(i + 1)) continue;
    let d = 0;
    for (let j = 0; j < DIMS; j++) d += vectors[i]![j]! * query[j]!;
    scored.push({ rowid: i + 1, d });
  }
  return scored
    .sort((a, b) => b.d - a.d)
    .slice(0, k)
    .map((s) => s.rowid);
}

/** The layouts a test file holds to the contract, and how to open them. */
export interface IndexContract<S extends IndexSpec> {
  /** Variant name → the spec fields that make it (its `kind` at least). */
  variants: Record<string, Partial<S> & Pick<S, 'kind'>>;
  /** Spec fields every variant shares unless it says otherwise. */
  defaults: Partial<S>;
  open(db: Sqlite, spec: S): VectorIndex;
  /** Variants that re-score candidates: held to recall@10 ≥ 0.9. */
  approximate: readonly string[];
  /** Variants with so few candidates (k·5) that a stored vector's top 10 may miss one. */
  lossy?: readonly string[];
  /** Variants that search a partition exactly. */
  exact?: readonly string[];
}

/** The contract's database and its variants, for a file's own tests. */
export interface ContractContext<S extends IndexSpec> {
  db(): Sqlite;
  dir(): string;
  spec(name: string, partitioned?: boolean): S;
  index(name: string, partitioned?: boolean): VectorIndex;
}

/**
 * Holds every variant of a layout to what the knowledge store relies on:
 * stored vectors find themselves, re-scored search keeps recall, partitions
 * never leak, bad dimensions store nothing, deletes reach every table and
 * roll back with the caller, drops leave no table. Each variant is built
 * twice (plain and partitioned) in one temp database, {@link N} rows in
 * batches; `more` adds a file's own tests after the search checks, on that
 * same data.
 */
export function describeIndexContract<S extends IndexSpec>(contract: IndexContract<S>, more?: (t: ContractContext<S>) => void): void {
  const names = Object.keys(contract.variants);
  let dir: string;
  let db: Sqlite;
  const spec = (name: string, partitioned = false): S =>
    ({ dims: DIMS, prefix: `kb_${name.replace(/ /g, '_')}${partitioned ? '_p' : ''}`, partitioned, ...contract.defaults, ...contract.variants[name] }) as S;
  const t: ContractContext<S> = { db: () => db, dir: () => dir, spec, index: (name, partitioned) => contract.open(db, spec(name, partitioned)) };
  const index = t.index;

  /** Rows in each table that holds one row per vector (vec0's `_rowids` shadow table for the vec0 one). */
  function tableRows(kind: string, prefix: string): Record<string, number> {
    const tables = kind === 'float' ? [`${prefix}_float_rowids`] : [`${prefix}_${kind}_rowids`, `${prefix}_vectors`];
    return Object.fromEntries(tables.map((name) => [name, (db.prepare(`select count(*) n from ${name}`).get() as { n: number }).n]));
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'onsite-vec-'));
    db = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
    for (const name of names) {
      for (const partitioned of [false, true]) {
        index(name, partitioned).create();
        index(name, partitioned).create(); // idempotent
        // Batches: inserts are meant to be streamed in transactions.
        for (let i = 0; i < N; i += 700) index(name, partitioned).insert(rows.slice(i, i + 700));
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
        const got = index(name).knn(vectors[id - 1]!, K);
        expect(got[0]).toBe(id);
        const exact = exactTop(vectors[id - 1]!, K);
        // Few candidates (k·5) may cost a lossy variant one of the ten; every other variant returns the exact ten, in order.
        expect(got).toHaveLength(K);
        expect(got.filter((rowid) => !exact.includes(rowid)).length).toBeLessThanOrEqual(contract.lossy?.includes(name) ? 1 : 0);
        expect(got.filter((rowid) => exact.includes(rowid))).toEqual(exact.filter((rowid) => got.includes(rowid)));
      }
    });

    it.each(contract.approximate)('%s + float re-scoring: recall@10 ≥ 0.9 on clustered queries', (name) => {
      const q = seededRandom(7);
      let hits = 0;
      const queries = 50;
      for (let i = 0; i < queries; i++) {
        const near = vectors[Math.floor(q() * N)]!;
        const query = normalise(Float32Array.from(near, (x) => x + 0.05 * gauss(q)));
        const truth = new Set(exactTop(query, K));
        hits += index(name)
          .knn(query, K)
          .filter((id) => truth.has(id)).length;
      }
      expect(hits / (queries * K)).toBeGreaterThanOrEqual(0.9);
    });

    it.each(names)('%s: counts its rows', (name) => {
      expect(index(name).count()).toBe(N);
      expect(index(name, true).count()).toBe(N);
    });

    more?.(t);
  });

  describe('partitioned layouts', () => {
    it.each(names)('%s: a query of partition A never returns rows of B, even when they are nearer', (name) => {
      const s = index(name, true);
      // Queries equal to B's rows: B holds the exact answers, A must not give them.
      for (const id of [2501, 2800, 3000]) {
        const query = vectors[id - 1]!;
        const got = s.knn(query, K, { partitions: [A] });
        expect(got).toHaveLength(K);
        expect(got.every((rowid) => partitionOf(rowid) === A)).toBe(true);
        const truth = new Set(exactTop(query, K, (rowid) => partitionOf(rowid) === A));
        expect(got.filter((rowid) => truth.has(rowid)).length).toBeGreaterThanOrEqual(contract.exact?.includes(name) ? K : 8);
        // The small partition: only B's rows, its own vector first.
        const inB = s.knn(query, K, { partitions: [B] });
        expect(inB[0]).toBe(id);
        expect(inB.every((rowid) => partitionOf(rowid) === B)).toBe(true);
      }
    });

    it.each(names)('%s: no partitions (empty, absent or unknown) finds nothing', (name) => {
      expect(index(name, true).knn(vectors[0]!, K, { partitions: [] })).toEqual([]);
      expect(index(name, true).knn(vectors[0]!, K)).toEqual([]);
      expect(index(name, true).knn(vectors[0]!, K, { partitions: [12345] })).toEqual([]);
    });

    it.each(names)('%s: a row without a partition is refused', (name) => {
      expect(() => index(name, true).insert([{ rowid: N + 1, vector: vectors[0]! }])).toThrow(
        `vector ${N + 1} has no partition, the layout ${spec(name, true).prefix} is partitioned`,
      );
      expect(index(name, true).count()).toBe(N);
    });
  });

  describe('dimension checks', () => {
    it.each(names)('%s: a vector of the wrong dimension is a clear error, and nothing is stored', (name) => {
      const bad = [
        { rowid: N + 1, vector: vectors[0]! },
        { rowid: N + 2, vector: new Float32Array(DIMS + 1) },
      ];
      expect(() => index(name).insert(bad)).toThrow(
        `vector ${N + 2} has ${DIMS + 1} dimensions, the ${spec(name).kind} layout ${spec(name).prefix} expects ${DIMS}`,
      );
      expect(() => index(name).knn(new Float32Array(DIMS - 1), K)).toThrow(/query has 63 dimensions/);
      expect(() => index(name).knn(vectors[0]!, 0)).toThrow(/k must be a positive integer/);
      expect(index(name).count()).toBe(N);
      expect(index(name).knn(vectors[0]!, 2)).toEqual(exactTop(vectors[0]!, 2));
    });
  });

  describe('deleting vectors', () => {
    it.each(names)('%s: removes rows from every table of the layout, only those that exist', (name) => {
      for (const partitioned of [false, true]) {
        const s = index(name, partitioned);
        const { kind, prefix } = spec(name, partitioned);
        const before = tableRows(kind, prefix);
        const gone = [3, 2600, 1500];
        expect(s.delete([...gone, 999_999])).toBe(3);
        expect(s.count()).toBe(N - 3);
        const after = tableRows(kind, prefix);
        for (const [table, n] of Object.entries(before)) expect([table, after[table]]).toEqual([table, n - 3]);
        const opts = partitioned ? { partitions: [A, B] } : {};
        for (const id of gone) expect(s.knn(vectors[id - 1]!, K, opts)).not.toContain(id);
        expect(s.delete(gone)).toBe(0);
        // Back in, for the other tests.
        s.insert(gone.map((id) => rows[id - 1]!));
        expect(s.count()).toBe(N);
        expect(s.knn(vectors[2]!, 1, opts)).toEqual([3]);
      }
    });

    it.each(names)('%s: a delete inside the caller’s transaction rolls back with it', (name) => {
      const s = index(name, true);
      expect(() =>
        db.transaction(() => {
          expect(s.delete([10, 11])).toBe(2);
          throw new Error('abort');
        })(),
      ).toThrow('abort');
      expect(s.count()).toBe(N);
      expect(s.knn(vectors[9]!, 1, { partitions: [A] })).toEqual([10]);
    });

    it.each(names)('%s: dropping the layout removes its tables', (name) => {
      const s = contract.open(db, { ...spec(name, true), prefix: `kb_drop_${name.replace(/ /g, '_')}` });
      s.create();
      s.insert(rows.slice(0, 10));
      s.drop();
      const left = db.prepare(`select name from sqlite_master where name like 'kb_drop_%'`).all();
      expect(left).toEqual([]);
    });
  });
}
