// Vector search layouts for the knowledge base, measured rather than guessed:
// 100,000 chunks × 768 dims, k = 10, plain float brute force against binary
// and int8 quantisation with exact float re-scoring (server/knowledge/vector-layout.ts).
//
// One core by nature: better-sqlite3 runs each query synchronously on the
// Node main thread and sqlite-vec scans single-threaded, so every figure here
// is one core's work (the machine's other cores sit idle during a query).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../server/db/client.ts';
import { createLayout, insertVectors, knn, type LayoutKind, type LayoutSpec } from '../../server/knowledge/vector-layout.ts';
import { median, percentile } from './lib.ts';
import { gauss, normalise, seededRandom } from '../helpers/vectors.ts';

const COUNT = 100_000;
const DIMS = 768;
const QUERIES = 200;
const K = 10;
const BATCH = 5_000; // rows per insert transaction: bounded WAL and memory
const SEED = 0x0a51e;

// Unit vector `base + noise`, with the noise sized so that the cosine to
// `base` is about `cos` (noise norm² ≈ dims·σ², cos ≈ 1/√(1 + dims·σ²)).
function around(base: Float32Array, cos: number, r: () => number): Float32Array {
  const sigma = Math.sqrt((1 / (cos * cos) - 1) / base.length);
  const v = new Float32Array(base.length);
  for (let i = 0; i < v.length; i++) v[i] = base[i]! + sigma * gauss(r);
  return normalise(v);
}

/**
 * Synthetic embeddings with the structure that decides quantised recall.
 * Uniform noise would be misleading both ways: in 768 dims all random points
 * are nearly equidistant, so "nearest" is meaningless and any method scores
 * badly, while real chunk embeddings are clumped. So:
 * - a shared direction (embedders are anisotropic: unrelated texts still have
 *   cosine ≈ 0.2 to each other), which wastes sign bits and is what makes
 *   binary quantisation harder on real models than on isotropic data;
 * - 1,000 topics, each with 20 documents (cosine ≈ 0.7 to the topic), chunks
 *   around those (cosine ≈ 0.75 to their document): 5 chunks per document,
 *   so the true top-10 mixes siblings with near-tied chunks of other
 *   documents on the topic, the continuum a coarse pass must resolve. (A
 *   first run with 25 well-separated chunks per document gave every layout
 *   recall 1.000, which measures nothing.)
 */
function corpus(r: () => number): Float32Array {
  const shared = normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));
  const topics = Array.from({ length: 1000 }, () => {
    const t = normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));
    for (let i = 0; i < DIMS; i++) t[i] = t[i]! + 0.5 * shared[i]!; // cos(topic, topic') ≈ 0.2
    return normalise(t);
  });
  const docs = topics.flatMap((t) => Array.from({ length: 20 }, () => around(t, 0.7, r)));
  const all = new Float32Array(COUNT * DIMS);
  for (let i = 0; i < COUNT; i++) all.set(around(docs[Math.floor(r() * docs.length)]!, 0.75, r), i * DIMS);
  return all;
}

// Exact top-k by dot product (= cosine on unit vectors) over every vector:
// the ground truth recall is measured against.
function exactTop(all: Float32Array, q: Float32Array, k: number): number[] {
  const ids = new Int32Array(k).fill(-1);
  const scores = new Float64Array(k).fill(-Infinity);
  for (let n = 0; n < COUNT; n++) {
    const off = n * DIMS;
    let d = 0;
    for (let j = 0; j < DIMS; j++) d += all[off + j]! * q[j]!;
    if (d <= scores[k - 1]!) continue;
    let p = k - 1;
    while (p > 0 && scores[p - 1]! < d) {
      scores[p] = scores[p - 1]!;
      ids[p] = ids[p - 1]!;
      p--;
    }
    scores[p] = d;
    ids[p] = n + 1; // rowids start at 1
  }
  return [...ids];
}

interface Measured {
  p50: number;
  p95: number;
  recall: number;
}

function measure(run: (q: Float32Array) => number[], queries: Float32Array[], truth: number[][]): Measured {
  for (let i = 0; i < 5; i++) run(queries[i]!); // warm the page cache and statements
  const times: number[] = [];
  let hits = 0;
  queries.forEach((q, i) => {
    const t0 = performance.now();
    const got = run(q);
    times.push(performance.now() - t0);
    const want = new Set(truth[i]);
    hits += got.filter((id) => want.has(id)).length;
  });
  return { p50: median(times), p95: percentile(times, 95), recall: hits / (queries.length * K) };
}

/**
 * KNN latency (p50/p95 over 200 queries, k = 10), recall@10 against exact
 * search and build time for each candidate layout over 100,000 × 768
 * clustered unit vectors in a temp-file database with the product's pragmas.
 */
export async function benchVectors(): Promise<Record<string, string>> {
  const r = seededRandom(SEED);
  const t0 = performance.now();
  const all = corpus(r);
  const queries = Array.from({ length: QUERIES }, () => {
    const n = Math.floor(r() * COUNT);
    return around(all.subarray(n * DIMS, (n + 1) * DIMS), 0.85, r); // a question near a stored chunk
  });
  const truth = queries.map((q) => exactTop(all, q, K));
  const prepMs = performance.now() - t0;

  const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-vec-'));
  const db = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
  const rows: Record<string, string> = {
    'corpus': `${COUNT} × ${DIMS} float32 (${((COUNT * DIMS * 4) / 2 ** 20).toFixed(0)} MiB), ${QUERIES} queries, k = ${K}; data + exact truth in ${(prepMs / 1000).toFixed(1)} s`,
  };
  try {
    // Oversampling stays small: sqlite-vec 0.1.9's vec0 KNN cost grows
    // linearly with k (bit[768]: ≈5.5 ms at k = 10, 15 ms at 100, 64 ms at
    // 400 over 100k rows here), while re-scoring 400 floats costs ≈0.7 ms.
    // int8 has no fast distance in 0.1.9 (≈85 ms a scan), so one point.
    const variants: Array<{ kind: LayoutKind; oversample: number[] }> = [
      { kind: 'float', oversample: [1] },
      { kind: 'binary', oversample: [1, 2, 4, 10] },
      { kind: 'int8', oversample: [2] },
    ];
    for (const { kind, oversample } of variants) {
      const spec: LayoutSpec = { kind, dims: DIMS, prefix: `bench_${kind}` };
      const b0 = performance.now();
      createLayout(db, spec);
      for (let start = 0; start < COUNT; start += BATCH) {
        const batch = [];
        for (let n = start; n < Math.min(COUNT, start + BATCH); n++) batch.push({ rowid: n + 1, vector: all.subarray(n * DIMS, (n + 1) * DIMS) });
        insertVectors(db, spec, batch);
      }
      rows[`${kind}: build`] = `${((performance.now() - b0) / 1000).toFixed(1)} s`;
      for (const o of oversample) {
        const s = { ...spec, oversample: o };
        const m = measure((q) => knn(db, s, q, K), queries, truth);
        const label = kind === 'float' ? 'float[768] brute force' : `${kind} top-${o * K} + float re-score`;
        rows[`${label}: KNN p50 / p95, recall@10`] = `${m.p50.toFixed(2)} / ${m.p95.toFixed(2)} ms, ${m.recall.toFixed(3)}`;
      }
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
