/**
 * The shapes the vector index files share (server/knowledge/store/vector-index/):
 * what an index is ({@link IndexSpec}, {@link IvfSpec}), what goes in
 * ({@link VectorRow}), how a query is scoped ({@link KnnOptions}), what the
 * store calls ({@link VectorIndex}) and what a layout implements under it
 * ({@link Layout}). A leaf of the folder, imported by the other files, so
 * their imports run one way.
 */

/**
 * One vector index in one database: what any layout needs (the `ivf` one
 * the store uses, and the exhaustive ones test/bench/vector-layouts/ compares it with).
 */
export interface IndexSpec {
  /** Which layout; stored with the vector space, named in error messages. */
  kind: string;
  /** Dimensions of every vector; checked on insert and query. */
  dims: number;
  /** Prefix of every table the index owns; must be a plain SQL identifier. */
  prefix: string;
  /**
   * Candidates re-scored exactly per result wanted (`k·oversample` of them).
   * Larger costs time and buys recall. Default 10.
   */
  oversample?: number | undefined;
  /**
   * Adds the partition (the collection's integer id) to every row: a query
   * names the partitions it may read and the filter is a condition of the
   * vector query itself (`ivf`: metadata column `part`, the vec0 partition
   * key being the cell).
   */
  partitioned?: boolean | undefined;
}

/** The `ivf` index the knowledge store uses (see vector-index.ts). */
export interface IvfSpec extends IndexSpec {
  kind: 'ivf';
  /** Cells searched per query (default max(16, cells/20)); narrow scopes probe proportionally more. */
  probes?: number | undefined;
  /** Rows at which the index first trains itself on insert (default 2,000). */
  trainAt?: number | undefined;
}

/** One vector to store: its rowid (the chunk id) and unit-length embedding. */
export interface VectorRow {
  rowid: number | bigint;
  vector: Float32Array;
  /** The partition (collection id); required when the index is partitioned. */
  partition?: number | bigint | undefined;
}

/** Options of a nearest-neighbour query. */
export interface KnnOptions {
  /** Partitioned indexes: the only partitions searched (an empty or absent list finds nothing). */
  partitions?: readonly (number | bigint)[] | undefined;
}

/** Cells of the current training (0 before the first) and the rows there were then. */
export interface Training {
  cells: number;
  trainedRows: number;
}

/** One vector index in one database: what the knowledge store calls. */
export interface VectorIndex {
  /** Creates the tables (idempotent). */
  create(): void;
  /** Drops every table. */
  drop(): void;
  /**
   * Inserts vectors in one transaction per call (callers stream large sets
   * in batches of a few thousand so neither memory nor the WAL grows
   * unbounded; inside the caller's transaction it is a savepoint). Every
   * vector is checked against the dimensions first, so a wrong embedder
   * fails with a clear message and stores nothing. Vectors must be unit
   * length (not normalised here). The `ivf` index trains itself within the
   * call when it first reaches {@link IvfSpec.trainAt} rows and retrains
   * each time its rows double up to 10,000 (≈3 s at 10k × 768); beyond that
   * see {@link VectorIndex.needsRetrain}. Returns the rows inserted.
   */
  insert(rows: Iterable<VectorRow>): number;
  /**
   * Removes vectors by rowid from every table, in one transaction (a
   * savepoint inside the caller's). Unknown rowids are skipped. Returns the
   * rows removed.
   */
  delete(rowids: Iterable<number | bigint>): number;
  /** Rows stored. */
  count(): number;
  /**
   * The rowids of the `k` stored vectors nearest to `query` (L2, which ranks
   * unit vectors exactly as cosine), nearest first. A partitioned index
   * searches only `options.partitions`, inside the SQL: rows of other
   * partitions are never candidates, so this is safe as a permission filter.
   */
  knn(query: Float32Array, k: number, options?: KnnOptions): number[];
  /**
   * Retrains the cells on the current rows (one transaction, ≈45 s at 100k
   * rows, for background maintenance); returns the number of cells (0 for
   * a layout with nothing to train).
   */
  retrain(): number;
  /** Whether the rows have doubled or halved since training (then call {@link VectorIndex.retrain}). */
  needsRetrain(): boolean;
  /** The current training. */
  training(): Training;
}

/**
 * What a layout implements for `indexOver` (vector-index.ts), which adds the argument
 * checks and transactions around it: insert and delete run inside the
 * index's transaction with checked rows and integer rowids; `parts` of knn
 * is the JSON list of allowed partitions (never empty), undefined when the
 * layout is not partitioned.
 */
export interface Layout {
  create(): void;
  drop(): void;
  insert(rows: readonly VectorRow[]): void;
  delete(rowids: readonly bigint[]): number;
  count(): number;
  knn(query: Float32Array, k: number, parts: string | undefined): number[];
  retrain(): number;
  needsRetrain(): boolean;
  training(): Training;
}
