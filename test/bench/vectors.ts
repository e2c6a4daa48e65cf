// Vector search layouts for the knowledge base, measured rather than guessed:
// 100,000 chunks × 768 dims, k = 10, plain float brute force against binary
// quantisation with float re-scoring and against the chosen `ivf` layout
// (server/knowledge/store/vector-index/), each at the 100k scope, plus the chosen
// layout on narrower scopes (10 collections, one collection).
//
// One core by nature: better-sqlite3 runs each query synchronously on the
// Node main thread and sqlite-vec scans single-threaded, so every figure here
// is one core's work (the machine's other cores sit idle during a query).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, type Sqlite } from '../../server/db/client.ts';
import { CHOSEN_LAYOUT, type IvfSpec, type VectorIndex, type VectorRow } from '../../server/knowledge/store/vector-index/vector-index.ts';
import { openLayout, type LayoutSpec } from './vector-layouts/layouts.ts';
import { median, percentile } from './lib.ts';
import { gauss, normalise, seededRandom } from '../helpers/vectors.ts';

const COUNT = 100_000;
const DIMS = 768;
const QUERIES = 200;
const K = 10;
const COLLECTIONS = 100;
const BATCH = 5_000; // rows per insert transaction: bounded WAL and memory

const SEED = 0x0a51e;

// Unit vector `base + noise`, with the noise sized so that the cosine to
// `base` is about `cos` (noise norm² ≈ dims·σ², cos ≈ 1/√(1 + dims·σ²)).
function around(base: Float32Array, cos: number, r: () => number): Float32Array {
  const sigma = Math.sqrt((1 / (cos * cos) - 1) / base.length);
  return normalise(Float32Array.from(base, (x) => x + sigma * gauss(r)));
}

const blend = (a: Float32Array, b: Float32Array, w: number) => normalise(Float32Array.from(a, (x, i) => w * x + (1 - w) * b[i]!));

/** Draws 0…n−1 with probability ∝ 1/(i+1)^s: a few big topics and documents, a long tail. */
function zipf(n: number, s: number, r: () => number): () => number {
  const cum = new Float64Array(n);
  for (let i = 0, t = 0; i < n; i++) cum[i] = t += (i + 1) ** -s;
  return () => {
    const x = r() * cum[n - 1]!;
    let lo = 0;
    for (let hi = n - 1; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * Synthetic embeddings with the structure that decides approximate recall.
 * Uniform noise would mislead both ways (in 768 dims random points are all
 * nearly equidistant, so "nearest" means nothing), and so would tidy
 * equal-sized clusters (any cell index gets recall 1). So, like a corpus:
 * - 50 domains → 2,000 topics (cosine ≈ 0.5 to their domain) → 12,000
 *   documents (≈ 0.7 to their topic) → chunks (0.65–0.85 to their
 *   document), with Zipf-distributed topic and document sizes (cells of
 *   1 to ~4,600 rows), so the true top-10 mixes siblings with near-tied
 *   chunks of other documents and topics;
 * - one chunk in ten blends two unrelated documents (a page that changes
 *   subject), landing between clusters;
 * - a shared direction added last (embedders are anisotropic: unrelated
 *   texts still have cosine ≈ 0.2), which wastes raw sign bits;
 * - queries near a random chunk (cosine ≈ 0.85), every fifth one between two
 *   random chunks, the hard case for a cell index.
 * Collections are documents modulo 100, so each spans every topic.
 * Returns 100,000 × 768 vectors (row n is rowid n + 1), each row's
 * collection, 200 queries and the row each query was drawn near.
 */
export function corpus(r: () => number) {
  const unit = () => normalise(Float32Array.from({ length: DIMS }, () => gauss(r)));
  const shared = unit();
  const domains = Array.from({ length: 50 }, unit);
  const pickDomain = zipf(domains.length, 0.8, r);
  const topics = Array.from({ length: 2000 }, () => around(domains[pickDomain()]!, 0.5, r));
  const pickTopic = zipf(topics.length, 0.7, r);
  const docs = Array.from({ length: 12_000 }, () => around(topics[pickTopic()]!, 0.7, r));
  const pickDoc = zipf(docs.length, 0.5, r);
  const all = new Float32Array(COUNT * DIMS);
  const collection = new Int32Array(COUNT);
  for (let n = 0; n < COUNT; n++) {
    const d = pickDoc();
    let v = around(docs[d]!, 0.65 + 0.2 * r(), r);
    if (r() < 0.1) v = blend(v, around(docs[Math.floor(r() * docs.length)]!, 0.75, r), 0.55 + 0.2 * r());
    all.set(blend(v, shared, 1 / 1.5), n * DIMS); // v + shared/2, renormalised
    collection[n] = d % COLLECTIONS;
  }
  const chunk = (n: number) => all.subarray(n * DIMS, (n + 1) * DIMS);
  const seeds = Array.from({ length: QUERIES }, () => Math.floor(r() * COUNT));
  const queries = seeds.map((n, i) => around(i % 5 === 4 ? blend(chunk(n), chunk(Math.floor(r() * COUNT)), 0.5) : chunk(n), 0.85, r));
  return { all, collection, queries, seeds };
}

/**
 * Exact top-k rowids (row n is rowid n + 1) by dot product (= cosine on unit
 * vectors) over the vectors `keep` accepts: the ground truth recall is
 * measured against. Exported with {@link corpus} for other knowledge benchmarks.
 */
export function exactTop(all: Float32Array, q: Float32Array, k: number, keep?: (n: number) => boolean): number[] {
  const ids = new Int32Array(k).fill(-1);
  const scores = new Float64Array(k).fill(-Infinity);
  for (let n = 0; n < COUNT; n++) {
    if (keep && !keep(n)) continue;
    const v = all.subarray(n * DIMS, (n + 1) * DIMS); // indexing a subarray from 0 lets V8 skip bounds checks
    let d0 = 0;
    let d1 = 0;
    for (let j = 0; j < DIMS; j += 2) {
      d0 += v[j]! * q[j]!;
      d1 += v[j + 1]! * q[j + 1]!;
    }
    const d = d0 + d1;
    if (d <= scores[k - 1]!) continue;
    let p = k - 1;
    for (; p > 0 && scores[p - 1]! < d; p--) {
      scores[p] = scores[p - 1]!;
      ids[p] = ids[p - 1]!;
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

function measure(run: (q: Float32Array, i: number) => number[], queries: Float32Array[], truth: number[][]): Measured {
  for (let i = 0; i < 5; i++) run(queries[i]!, i); // warm the page cache and statements
  const times: number[] = [];
  let hits = 0;
  queries.forEach((q, i) => {
    const t0 = performance.now();
    const got = run(q, i);
    times.push(performance.now() - t0);
    const want = new Set(truth[i]);
    hits += got.filter((id) => want.has(id)).length;
  });
  return { p50: median(times), p95: percentile(times, 95), recall: hits / (queries.length * K) };
}

const show = (m: Measured) => `${m.p50.toFixed(2)} / ${m.p95.toFixed(2)} ms, ${m.recall.toFixed(3)}`;
const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

function load(db: Sqlite, spec: LayoutSpec, all: Float32Array, collection: Int32Array): VectorIndex {
  const index = openLayout(db, spec);
  index.create();
  for (let start = 0; start < COUNT; start += BATCH) {
    const batch: VectorRow[] = [];
    for (let n = start; n < Math.min(COUNT, start + BATCH); n++)
      batch.push({ rowid: n + 1, vector: all.subarray(n * DIMS, (n + 1) * DIMS), partition: collection[n]! });
    index.insert(batch);
  }
  return index;
}

/**
 * KNN latency (p50/p95 over 200 queries, k = 10) and recall@10 against
 * exact search over 100,000 × 768 clustered unit vectors in a temp-file
 * database with the product's pragmas: float brute force, binary + re-score,
 * and the chosen layout at the 100k scope (all collections), on 10
 * collections and on one, with its build and training times.
 */
export async function benchVectors(): Promise<Record<string, string>> {
  const t0 = performance.now();
  const { all, collection, queries, seeds } = corpus(seededRandom(SEED));
  const everyone = Array.from({ length: COLLECTIONS }, (_, c) => c);
  // Scopes: every collection; ten (the seed chunk's and the next nine, ~10%); the seed chunk's own.
  const ten = seeds.map((n) => Array.from({ length: 10 }, (_, i) => (collection[n]! + i) % COLLECTIONS));
  const truth = queries.map((q) => exactTop(all, q, K));
  const truthTen = queries.map((q, i) => exactTop(all, q, K, (n) => ten[i]!.includes(collection[n]!)));
  const truthOne = queries.map((q, i) => exactTop(all, q, K, (n) => collection[n] === collection[seeds[i]!]));
  const sizes = new Int32Array(COLLECTIONS);
  for (const c of collection) sizes[c]!++;
  const oneSize = median(seeds.map((n) => sizes[collection[n]!]!));
  const tenSize = median(ten.map((cs) => cs.reduce((s, c) => s + sizes[c]!, 0)));

  const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-vec-'));
  const db = openSqlite(join(dir, 'vectors.db'), { dataDir: dir });
  const rows: Record<string, string> = {
    corpus: `${COUNT} × ${DIMS} float32 (${((COUNT * DIMS * 4) / 2 ** 20).toFixed(0)} MiB) in ${COLLECTIONS} collections, ${QUERIES} queries, k = ${K}; data + exact truth in ${seconds(t0)}`,
  };
  try {
    let b0 = performance.now();
    const float = load(db, { kind: 'float', dims: DIMS, prefix: 'bench_float' }, all, collection);
    rows['float: build'] = seconds(b0);
    rows['float[768] brute force, 100k scope: p50 / p95, recall@10'] = show(measure((q) => float.knn(q, K), queries, truth));

    // The best exhaustive quantised layout (sqlite-vec 0.1.9 scans k·oversample
    // candidates at a cost linear in k, so top-100 is where it stops paying).
    b0 = performance.now();
    const binary = load(db, { kind: 'binary', dims: DIMS, prefix: 'bench_binary', oversample: 10 }, all, collection);
    rows['binary: build'] = seconds(b0);
    rows['binary top-100 + float re-score, 100k scope: p50 / p95, recall@10'] = show(measure((q) => binary.knn(q, K), queries, truth));

    // The chosen layout as the store runs it: partitioned by collection,
    // trained by its inserts (last at 8k rows), then retrained at 100k.
    const chosen: IvfSpec = { ...CHOSEN_LAYOUT, dims: DIMS, prefix: 'bench_ivf' };
    const label = `${chosen.kind}${chosen.partitioned ? ' (partitioned)' : ''}`;
    b0 = performance.now();
    const ivf = load(db, chosen, all, collection);
    const early = ivf.training();
    rows[`${label}: build (inserts, training at ${early.trainedRows} rows, ${early.cells} cells)`] = seconds(b0);
    const scopeAll = { partitions: everyone };
    rows[`${label} trained at ${early.trainedRows}, 100k scope: p50 / p95, recall@10`] = show(measure((q) => ivf.knn(q, K, scopeAll), queries, truth));
    if (ivf.needsRetrain()) {
      b0 = performance.now();
      const cells = ivf.retrain();
      rows[`${label}: retrain at ${COUNT} rows (${cells} cells)`] = seconds(b0);
    }
    rows[`${label}, 100k scope: p50 / p95, recall@10`] = show(measure((q) => ivf.knn(q, K, scopeAll), queries, truth));
    rows[`${label}, 10 collections (~${tenSize} rows): p50 / p95, recall@10`] = show(
      measure((q, i) => ivf.knn(q, K, { partitions: ten[i]! }), queries, truthTen),
    );
    rows[`${label}, 1 collection (~${oneSize} rows): p50 / p95, recall@10`] = show(
      measure((q, i) => ivf.knn(q, K, { partitions: [collection[seeds[i]!]!] }), queries, truthOne),
    );
    // The trade-off around the chosen point, same data.
    for (const variant of [{ probes: 8 }, { probes: 32 }, { oversample: 5 }, { oversample: 20 }]) {
      const s = openLayout(db, { ...chosen, ...variant });
      const name = Object.entries(variant)
        .map(([key, v]) => `${key} ${v}`)
        .join(', ');
      rows[`${label} with ${name}, 100k scope: p50 / p95, recall@10`] = show(measure((q) => s.knn(q, K, scopeAll), queries, truth));
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
