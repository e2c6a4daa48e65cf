import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type Sqlite } from '../../../server/db/client.ts';
import { createLayout, insertVectors, knn, type LayoutKind, type LayoutSpec } from '../../../server/knowledge/vector-layout.ts';
import { gauss, normalise, seededRandom } from '../../helpers/vectors.ts';

const N = 2000;
const DIMS = 64;
const K = 10;

// Clustered unit vectors (40 centres + noise): like embeddings, neighbours
// share a topic, which is what quantised search has to resolve.
const r = seededRandom(42);
const centres = Array.from({ length: 40 }, () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r))));
const vectors = Array.from({ length: N }, (_, i) => {
  const c = centres[i % centres.length]!;
  return normalise(Float32Array.from(c, (x) => x + 0.12 * gauss(r)));
});

function exactTop(query: Float32Array, k: number): number[] {
  const scored = vectors.map((v, i) => {
    let d = 0;
    for (let j = 0; j < DIMS; j++) d += v[j]! * query[j]!;
    return { rowid: i + 1, d };
  });
  return scored.sort((a, b) => b.d - a.d).slice(0, k).map((s) => s.rowid);
}

let dir: string;
let db: Sqlite;
const kinds: LayoutKind[] = ['float', 'binary', 'int8'];
const spec = (kind: LayoutKind): LayoutSpec => ({ kind, dims: DIMS, prefix: `kb_${kind}`, oversample: 20 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-vec-'));
  db = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
  for (const kind of kinds) {
    createLayout(db, spec(kind));
    // Two batches: inserts are meant to be streamed in transactions.
    const rows = vectors.map((vector, i) => ({ rowid: i + 1, vector }));
    insertVectors(db, spec(kind), rows.slice(0, N / 2));
    insertVectors(db, spec(kind), rows.slice(N / 2));
  }
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vector layouts', () => {
  it.each(kinds)('%s: a stored vector as query returns itself first and the exact top-10', (kind) => {
    for (const id of [1, 777, 1999]) {
      const got = knn(db, spec(kind), vectors[id - 1]!, K);
      expect(got[0]).toBe(id);
      expect(got).toEqual(exactTop(vectors[id - 1]!, K));
    }
  });

  it.each(['binary', 'int8'] as const)('%s + float re-scoring: recall@10 ≥ 0.9 on clustered queries', (kind) => {
    const q = seededRandom(7);
    let hits = 0;
    const queries = 50;
    for (let i = 0; i < queries; i++) {
      const near = vectors[Math.floor(q() * N)]!;
      const query = normalise(Float32Array.from(near, (x) => x + 0.05 * gauss(q)));
      const truth = new Set(exactTop(query, K));
      hits += knn(db, spec(kind), query, K).filter((id) => truth.has(id)).length;
    }
    expect(hits / (queries * K)).toBeGreaterThanOrEqual(0.9);
  });

  it('float brute force is exact for an arbitrary query', () => {
    const query = normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));
    expect(knn(db, spec('float'), query, K)).toEqual(exactTop(query, K));
  });

  it.each(kinds)('%s: a vector of the wrong dimension is a clear error, and nothing is stored', (kind) => {
    const bad = [{ rowid: N + 1, vector: vectors[0]! }, { rowid: N + 2, vector: new Float32Array(DIMS + 1) }];
    expect(() => insertVectors(db, spec(kind), bad)).toThrow(`vector ${N + 2} has ${DIMS + 1} dimensions, the ${kind} layout kb_${kind} expects ${DIMS}`);
    expect(() => knn(db, spec(kind), new Float32Array(DIMS - 1), K)).toThrow(/query has 63 dimensions/);
    // The transaction rolled back the good row before the bad one.
    expect(knn(db, spec(kind), vectors[0]!, 2)).toEqual(exactTop(vectors[0]!, 2));
    const t = kind === 'float' ? 'kb_float_float' : `kb_${kind}_${kind}`;
    expect((db.prepare(`select count(*) n from ${t}`).get() as { n: number }).n).toBe(N);
  });
});
