/**
 * sqlite-vec layouts for the knowledge base's vector search, and the one
 * the knowledge store uses ({@link CHOSEN_LAYOUT}): `ivf`, partitioned.
 *
 * The store has to answer "the k chunks nearest to this embedding, among
 * the collections this user may read" over ~100k chunks on one core in a few
 * milliseconds. sqlite-vec 0.1.9 only brute-forces, and the npm build has
 * no SIMD, so the levers are how many rows a query touches and what each
 * costs. All layouts take unit vectors (not normalised here) and use L2,
 * which then ranks exactly like cosine (‖a−b‖² = 2 − 2·a·b):
 *
 * - `float`: `float[N]` vec0, exact brute force.
 * - `binary` / `int8`: a `bit[N]` (sign) or `int8[N]` vec0 scanned in full
 *   for `k·oversample` candidates, re-scored with exact float L2 from a
 *   plain rowid table (a B-tree lookup each; a second vec0 column would
 *   cost ~0.9 ms a candidate).
 * - `ivf`: the rows clustered into ≈√n cells by spherical k-means; the cell
 *   is the vec0 partition key, so a query reads only the cells nearest to it.
 *   Each row keeps a two-bit code per dimension (thresholds at the
 *   dimension's tertiles; Hamming distance = L1 between three-level
 *   quantisations) for choosing candidates, and its float vector in a plain
 *   table for exact re-scoring. Details in vectors-layout-ivf*.ts.
 *
 * Measured by `npm run bench` (test/bench/vectors.ts), 100,000 × 768
 * clustered unit vectors in 100 collections, k = 10, 200 queries, one query
 * at a time on one core (2-core x86-64, shared with other work), medians of
 * one run; recall@10 against exact search:
 *
 * | layout, scope                                   | p50 ms | p95 ms | recall@10 |
 * |-------------------------------------------------|--------|--------|-----------|
 * | float brute force, all 100k                      | 111    | 113    | 1.000     |
 * | binary top-100 + re-score, all 100k              | 14.9   | 15.4   | 0.962     |
 * | ivf, 316 cells, 16 probed, all 100k (chosen)     | 3.0    | 3.8    | 0.975     |
 * | … 8 probed / 32 probed                           | 2.2/4.4| 2.9/5.2| 0.959/0.978 |
 * | … oversample 5 / 20                              | 2.5/4.0| 3.0/5.4| 0.958/0.980 |
 * | ivf, 10 collections (~9.8k rows)                 | 4.5    | 7.0    | 0.960     |
 * | ivf, 1 collection (~1k rows: exact)              | 2.8    | 3.4    | 1.000     |
 * | ivf trained at 10k, grown to 100k (no retrain)   | 4.6    | 5.5    | 0.962     |
 *
 * Building: 100k inserts into `ivf` 17 s (training included), retraining
 * at 100k 45 s; `float` or `binary` 3 s.
 *
 * Why `ivf`: an exhaustive scan cannot reach 5 ms at 0.95. Float L2 is
 * ~1.1 µs a row (int8 is no faster without SIMD: ~85 ms); Hamming over all
 * 100k sign codes is ~5 ms even at k = 10, and vec0's per-chunk top-k is
 * O(chunk·k), so the top-100 needed for recall 0.96 costs 15 ms. Reading
 * 5% of the rows is the only way under, hence cells as partitions. What
 * the rest of the design buys, each measured on this corpus:
 * - two-bit codes instead of sign bits: recall 0.975 instead of 0.967 with
 *   half the candidates (residual codes against the cell centroid: 0.92);
 * - the two nearest cells give up to C = k·oversample candidates each, the
 *   other probed cells at most 0.3·C and only rows within the C-th best
 *   distance so far (vec0 drops a row past `distance <= T` before its O(k)
 *   insertion): the true neighbours sit mostly in the nearest cell;
 * - an index on the vec0 `_chunks` shadow table's partition column:
 *   sqlite-vec looks a partition's chunks up with no index, ~0.3 ms a cell;
 * - chunk_size 256 (cells are small; 1024 wastes space, 32 costs per chunk);
 * - ≈√n cells and 32 sample rows a cell: 190 cells were slower for the same
 *   recall, 16 rows a cell cost 0.012 of recall;
 * - the collection filter is a vec0 metadata `part in (…)`, dropped when the
 *   allowed collections hold every stored row (its per-row list scan costs
 *   ~0.5 ms at 100 collections); scopes ≤ 2,000 rows are searched exactly;
 *   narrower scopes probe ∛(narrowing) times more cells;
 * - `PRAGMA mmap_size` (a connection setting, not the layout's) saved ~10%.
 *
 * Living with it: a new `ivf` layout holds every row in cell 0 and searches
 * exactly or exhaustively; inserts train it at {@link LayoutSpec.trainAt}
 * rows (2,000) and retrain it each time the rows double up to 10,000 (≈3 s);
 * new rows go to their nearest cell. Past that, {@link needsRetrain} turns
 * true when the rows have doubled (or halved) since training and the store
 * should run {@link retrain} from background maintenance: one transaction,
 * ≈45 s at 100k (k-means plus assigning every row), blocking writers.
 * Untrained for a while it stays correct, just slower (last table row).
 */
import type { Sqlite } from '../db/client.ts';
import { countFlat, createFlat, deleteFlat, dropFlat, insertFlat, knnFlat } from './vectors-layout-flat.ts';
import { deleteIvf, insertIvf, knnIvf } from './vectors-layout-ivf.ts';
import { createIvf, dropIvf, ivfCount, ivfState } from './vectors-layout-ivf-state.ts';
import { ivfNeedsRetrain, retrainIvf, trainIfDue } from './vectors-layout-ivf-train.ts';
import { checkDims, checkK, checkPrefix, forgetStatements, integerKey, partitionList } from './vectors-layout-sql.ts';

export { quantizeInt8 } from './vectors-layout-flat.ts';

/** Which layout: see the module comment. */
export type LayoutKind = 'float' | 'binary' | 'int8' | 'ivf';

/** One layout instance in one database. */
export interface LayoutSpec {
  kind: LayoutKind;
  /** Dimensions of every vector; checked on insert and query. */
  dims: number;
  /** Prefix of every table the layout owns; must be a plain SQL identifier. */
  prefix: string;
  /**
   * Quantised layouts: candidates re-scored exactly per result wanted
   * (`k·oversample` of them). Larger costs time and buys recall. Default 10.
   */
  oversample?: number | undefined;
  /**
   * `int8` layout: factor applied before rounding to int8. Components of a
   * unit vector in hundreds of dimensions are small (≈1/√N), so
   * sqlite-vec's `vec_quantize_int8(v, 'unit')` (which maps [-1, 1]) would use
   * only a handful of the 256 levels; a larger scale with clamping keeps
   * resolution where the values are. Default 127 / 0.25.
   */
  int8Scale?: number | undefined;
  /**
   * Adds the partition (the collection's integer id) to every row: a query
   * names the partitions it may read and the filter is a condition of the
   * vector query itself (`float`/`binary`/`int8`: vec0 partition key `part`;
   * `ivf`: metadata column `part`, the partition key being the cell).
   */
  partitioned?: boolean | undefined;
  /** `ivf`: cells searched per query (default max(16, cells/20)); narrow scopes probe proportionally more. */
  probes?: number | undefined;
  /** `ivf`: rows at which the layout first trains itself on insert (default 2,000). */
  trainAt?: number | undefined;
}

/** One vector to store: its rowid (the chunk id) and unit-length embedding. */
export interface VectorRow {
  rowid: number | bigint;
  vector: Float32Array;
  /** The partition (collection id); required when the layout is partitioned. */
  partition?: number | bigint | undefined;
}

/** Options of {@link knn}. */
export interface KnnOptions {
  /** Partitioned layouts: the only partitions searched (an empty or absent list finds nothing). */
  partitions?: readonly (number | bigint)[] | undefined;
}

/** The layout the knowledge store uses (dims and prefix come per vector space): see the module comment. */
export const CHOSEN_LAYOUT: Omit<LayoutSpec, 'dims' | 'prefix'> = { kind: 'ivf', oversample: 10, partitioned: true };

/** Default candidates re-scored per result for the quantised exhaustive layouts. */
export const DEFAULT_OVERSAMPLE = 10;
const DEFAULT_IVF_OVERSAMPLE = 10;

/** Creates the tables of a layout (idempotent). */
export function createLayout(db: Sqlite, spec: LayoutSpec): void {
  checkPrefix(spec);
  if (!Number.isInteger(spec.dims) || spec.dims <= 0) throw new Error(`vector layout dims must be a positive integer, got ${spec.dims}`);
  if (spec.kind === 'ivf') createIvf(db, spec);
  else createFlat(db, spec);
}

/** Drops every table of a layout. */
export function dropLayout(db: Sqlite, spec: LayoutSpec): void {
  forgetStatements(db); // statements on dropped tables would fail later
  if (spec.kind === 'ivf') dropIvf(db, spec);
  else dropFlat(db, spec);
}

/**
 * Inserts vectors in one transaction per call (callers stream large sets in
 * batches of a few thousand so neither memory nor the WAL grows unbounded;
 * inside the caller's transaction it is a savepoint). Every vector is
 * checked against the layout's dimensions first, so a wrong embedder fails
 * with a clear message and stores nothing. Vectors must be unit length (not
 * normalised here). An `ivf` layout trains itself within the call when it
 * first reaches {@link LayoutSpec.trainAt} rows and retrains each time its
 * rows double up to 10,000 (≈3 s at 10k × 768); beyond that see
 * {@link needsRetrain}. Returns the rows inserted.
 */
export function insertVectors(db: Sqlite, spec: LayoutSpec, rows: Iterable<VectorRow>): number {
  checkPrefix(spec);
  const list = [...rows];
  for (const row of list) checkDims(spec, row.vector, `vector ${row.rowid}`);
  db.transaction(() => {
    if (spec.kind !== 'ivf') return insertFlat(db, spec, list);
    insertIvf(db, spec, list);
    trainIfDue(db, spec);
  })();
  return list.length;
}

/**
 * Removes vectors by rowid from every table of the layout, in one
 * transaction (a savepoint inside the caller's). Unknown rowids are
 * skipped. Returns the rows removed.
 */
export function deleteVectors(db: Sqlite, spec: LayoutSpec, rowids: Iterable<number | bigint>): number {
  checkPrefix(spec);
  const ids = [...rowids].map((id) => integerKey(id, 'rowid'));
  return db.transaction(() => (spec.kind === 'ivf' ? deleteIvf(db, spec, ids) : deleteFlat(db, spec, ids)))();
}

/** Rows stored in the layout. */
export function countVectors(db: Sqlite, spec: LayoutSpec): number {
  checkPrefix(spec);
  return spec.kind === 'ivf' ? ivfCount(db, spec) : countFlat(db, spec);
}

/**
 * The rowids of the `k` stored vectors nearest to `query` (L2, which ranks
 * unit vectors exactly as cosine), nearest first. A partitioned layout
 * searches only `options.partitions`, inside the SQL: rows of other
 * partitions are never candidates, so this is safe as a permission filter.
 */
export function knn(db: Sqlite, spec: LayoutSpec, query: Float32Array, k: number, options: KnnOptions = {}): number[] {
  checkPrefix(spec);
  checkDims(spec, query, 'query');
  checkK(k);
  let parts: string | undefined;
  if (spec.partitioned) {
    const list = partitionList(options.partitions);
    if (list.length === 0) return [];
    parts = `[${list.join(',')}]`;
  }
  if (spec.kind === 'ivf') return knnIvf(db, spec, query, k, spec.oversample ?? DEFAULT_IVF_OVERSAMPLE, parts);
  return knnFlat(db, spec, query, k, Math.min(4096, k * (spec.oversample ?? DEFAULT_OVERSAMPLE)), parts);
}

/**
 * `ivf`: retrains the cells on the current rows (see `retrainIvf`: one
 * transaction, ≈45 s at 100k rows, for background maintenance). Returns
 * the number of cells; other layouts have nothing to train (0).
 */
export function retrain(db: Sqlite, spec: LayoutSpec): number {
  checkPrefix(spec);
  return spec.kind === 'ivf' ? retrainIvf(db, spec) : 0;
}

/** `ivf`: whether the rows have doubled or halved since training (then call {@link retrain}); false for other layouts. */
export function needsRetrain(db: Sqlite, spec: LayoutSpec): boolean {
  checkPrefix(spec);
  return spec.kind === 'ivf' && ivfNeedsRetrain(db, spec);
}

/** `ivf`: cells of the current training (0 before the first) and rows when trained. */
export function layoutTraining(db: Sqlite, spec: LayoutSpec): { cells: number; trainedRows: number } {
  checkPrefix(spec);
  if (spec.kind !== 'ivf') return { cells: 0, trainedRows: 0 };
  const state = ivfState(db, spec);
  return { cells: state.centroids?.length ?? 0, trainedRows: state.trained };
}
