/**
 * The knowledge store's vector index: {@link openVectorIndex} over the
 * `ivf` layout on sqlite-vec ({@link CHOSEN_LAYOUT}, partitioned), and why
 * it was chosen. The exhaustive layouts it was measured against (`float`,
 * `binary`, `int8`) live with the benchmark, in test/bench/vector-layouts/.
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
 *   table for exact re-scoring. Details in ivf*.ts.
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
 * exactly or exhaustively; inserts train it at {@link IvfSpec.trainAt}
 * rows (2,000) and retrain it each time the rows double up to 10,000 (≈3 s);
 * new rows go to their nearest cell. Past that, {@link VectorIndex.needsRetrain} turns
 * true when the rows have doubled (or halved) since training and the store
 * should run {@link VectorIndex.retrain} from background maintenance: one transaction,
 * ≈45 s at 100k (k-means plus assigning every row), blocking writers.
 * Untrained for a while it stays correct, just slower (last table row).
 */
import type { Sqlite } from '../../../db/client.ts';
import { deleteIvf, insertIvf, knnIvf } from './ivf.ts';
import { createIvf, dropIvf, ivfCount, ivfState } from './ivf-state.ts';
import { ivfNeedsRetrain, retrainIvf, trainIfDue } from './ivf-train.ts';
import type { IndexSpec, IvfSpec, Layout, VectorIndex } from './spec.ts';
import { checkDims, checkK, checkPrefix, forgetStatements, integerKey, partitionList } from './sql.ts';

export type { IndexSpec, IvfSpec, KnnOptions, Layout, Training, VectorIndex, VectorRow } from './spec.ts';

/**
 * A {@link VectorIndex} over a layout's primitives: checks the prefix (it
 * is spliced into SQL), dimensions, `k` and partitions, and holds the
 * transactions. The `ivf` index is built with it, and so are the comparison
 * layouts of the benchmark.
 */
export function indexOver(db: Sqlite, spec: IndexSpec, layout: Layout): VectorIndex {
  checkPrefix(spec);
  return {
    create() {
      if (!Number.isInteger(spec.dims) || spec.dims <= 0) throw new Error(`vector layout dims must be a positive integer, got ${spec.dims}`);
      layout.create();
    },
    drop() {
      forgetStatements(db); // statements on dropped tables would fail later
      layout.drop();
    },
    insert(rows) {
      const list = [...rows];
      for (const row of list) checkDims(spec, row.vector, `vector ${row.rowid}`);
      db.transaction(() => layout.insert(list))();
      return list.length;
    },
    delete(rowids) {
      const ids = [...rowids].map((id) => integerKey(id, 'rowid'));
      return db.transaction(() => layout.delete(ids))();
    },
    count: () => layout.count(),
    knn(query, k, options = {}) {
      checkDims(spec, query, 'query');
      checkK(k);
      let parts: string | undefined;
      if (spec.partitioned) {
        const list = partitionList(options.partitions);
        if (list.length === 0) return [];
        parts = `[${list.join(',')}]`;
      }
      return layout.knn(query, k, parts);
    },
    retrain: () => layout.retrain(),
    needsRetrain: () => layout.needsRetrain(),
    training: () => layout.training(),
  };
}

/** The layout the knowledge store uses (dims and prefix come per vector space): see the module comment. */
export const CHOSEN_LAYOUT: Omit<IvfSpec, 'dims' | 'prefix'> = { kind: 'ivf', oversample: 10, partitioned: true };

const DEFAULT_IVF_OVERSAMPLE = 10;

/**
 * The `ivf` vector index of `spec` on this connection (cheap: open one per
 * call or keep it). Throws on a layout it does not know, since the spec
 * comes from what a vector space stored.
 */
export function openVectorIndex(db: Sqlite, spec: IvfSpec): VectorIndex {
  if (spec.kind !== 'ivf') throw new Error(`vector layout ${JSON.stringify(spec.kind)} is not supported (the store uses ivf)`);
  return indexOver(db, spec, {
    create: () => createIvf(db, spec),
    drop: () => dropIvf(db, spec),
    insert(rows) {
      insertIvf(db, spec, rows);
      trainIfDue(db, spec);
    },
    delete: (rowids) => deleteIvf(db, spec, rowids),
    count: () => ivfCount(db, spec),
    knn: (query, k, parts) => knnIvf(db, spec, query, k, spec.oversample ?? DEFAULT_IVF_OVERSAMPLE, parts),
    retrain: () => retrainIvf(db, spec),
    needsRetrain: () => ivfNeedsRetrain(db, spec),
    training() {
      const state = ivfState(db, spec);
      return { cells: state.centroids?.length ?? 0, trainedRows: state.trained };
    },
  });
}
