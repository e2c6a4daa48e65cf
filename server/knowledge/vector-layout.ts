/**
 * Candidate sqlite-vec layouts for the knowledge base's vector search.
 *
 * The knowledge store has to answer "the k chunks nearest to this embedding"
 * over ~100k chunks on one core in a few milliseconds. sqlite-vec's vec0
 * tables only brute-force (no ANN index in 0.1.x), so the only levers are how
 * many bytes each KNN scan touches and how expensive each distance is:
 *
 * - `float`: `float[N]` vec0, exact brute force. 4·N bytes per vector scanned.
 * - `binary`: `bit[N]` vec0 of sign bits (`vec_quantize_binary`), Hamming
 *   distance over N/8 bytes per vector for a coarse top-(k·oversample), then
 *   exact float re-scoring of only those candidates from a plain BLOB table.
 * - `int8`: `int8[N]` vec0 (N bytes per vector) for the coarse pass, re-scored
 *   the same way.
 *
 * All layouts assume unit-length vectors (embedders for retrieval produce
 * them, and {@link insertVectors} does not normalise): then L2 distance ranks
 * exactly like cosine distance (‖a−b‖² = 2 − 2·a·b), and L2 is the distance
 * sqlite-vec computes fastest, so it is used everywhere.
 *
 * These functions are deliberately small and table-name generic (every table
 * starts with {@link LayoutSpec.prefix}) so the knowledge store can adopt the
 * layout the benchmark (`test/bench/vectors.ts`) picks.
 */
import type { Statement } from 'better-sqlite3';
import type { Sqlite } from '../db/client.ts';

/** Which candidate layout: see the module comment. */
export type LayoutKind = 'float' | 'binary' | 'int8';

/** One layout instance in one database. */
export interface LayoutSpec {
  kind: LayoutKind;
  /** Dimensions of every vector; checked on insert and query. */
  dims: number;
  /** Prefix of every table the layout owns; must be a plain SQL identifier. */
  prefix: string;
  /**
   * Quantised layouts: coarse candidates per result wanted (top-`k·oversample`
   * are re-scored exactly). Larger costs re-scoring time and buys recall.
   */
  oversample?: number;
  /**
   * `int8` layout: factor applied before rounding to int8. Components of a
   * unit vector in hundreds of dimensions are small (≈1/√N), so
   * sqlite-vec's `vec_quantize_int8(v, 'unit')` (which maps [-1, 1]) would use
   * only a handful of the 256 levels; a larger scale with clamping keeps
   * resolution where the values are. Default 127 / 0.25.
   */
  int8Scale?: number;
  /**
   * Adds a vec0 partition key `part` (the collection's integer id): a query
   * names the partitions it may read and vec0 scans only those, so the
   * permission filter is part of the vector query itself.
   */
  partitioned?: boolean | undefined;
}

/** One vector to store: its rowid (the chunk id) and unit-length embedding. */
export interface VectorRow {
  rowid: number | bigint;
  vector: Float32Array;
  /** The partition (collection id); required when the layout is partitioned. */
  partition?: number | bigint | undefined;
}

/** What the knowledge store uses (dims and prefix come per vector space): see the module comment. */
export const CHOSEN_LAYOUT: Omit<LayoutSpec, 'dims' | 'prefix'> = { kind: 'binary', oversample: 10 };


/** Default coarse candidates per result for the quantised layouts. */
export const DEFAULT_OVERSAMPLE = 10; // top-100 for k = 10: recall@10 0.97 in test/bench/vectors.ts
const DEFAULT_INT8_SCALE = 127 / 0.25;

// Prepared statements per connection: preparing costs tens of microseconds,
// noticeable against a millisecond query budget.
const statements = new WeakMap<Sqlite, Map<string, Statement>>();
function prepare(db: Sqlite, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Table names of a layout (the coarse vec0 table and, if any, the float BLOB table). */
export function layoutTables(spec: LayoutSpec): { index: string; floats?: string } {
  if (!IDENT.test(spec.prefix)) throw new Error(`vector layout prefix ${JSON.stringify(spec.prefix)} is not a plain identifier`);
  if (spec.kind === 'float') return { index: `${spec.prefix}_float` };
  return { index: `${spec.prefix}_${spec.kind}`, floats: `${spec.prefix}_vectors` };
}

/**
 * Creates the tables of a layout (idempotent). The quantised layouts keep the
 * exact float vectors in an ordinary rowid table rather than a second vec0
 * table: re-scoring reads a few hundred rows by rowid, which a B-tree lookup
 * does directly, while vec0 would have to locate each in its chunk.
 */
export function createLayout(db: Sqlite, spec: LayoutSpec): void {
  if (!Number.isInteger(spec.dims) || spec.dims <= 0) throw new Error(`vector layout dims must be a positive integer, got ${spec.dims}`);
  if (spec.kind === 'binary' && spec.dims % 8 !== 0) throw new Error(`binary layout needs dims divisible by 8, got ${spec.dims}`);
  const t = layoutTables(spec);
  const column = spec.kind === 'float' ? `float[${spec.dims}]` : spec.kind === 'binary' ? `bit[${spec.dims}]` : `int8[${spec.dims}]`;
  const part = spec.partitioned ? 'part integer partition key, ' : '';
  db.exec(`create virtual table if not exists ${t.index} using vec0(${part}embedding ${column})`);
  if (t.floats) db.exec(`create table if not exists ${t.floats} (rowid integer primary key, embedding blob not null)`);
}

/** Drops every table of a layout. */
export function dropLayout(db: Sqlite, spec: LayoutSpec): void {
  const t = layoutTables(spec);
  statements.delete(db); // statements on dropped tables would fail later
  db.exec(`drop table if exists ${t.index}`);
  if (t.floats) db.exec(`drop table if exists ${t.floats}`);
}

function checkDims(spec: LayoutSpec, vector: Float32Array, what: string): void {
  if (!(vector instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (vector.length !== spec.dims) throw new Error(`${what} has ${vector.length} dimensions, the ${spec.kind} layout ${spec.prefix} expects ${spec.dims}`);
}

/** Little-endian float32 bytes of a vector, without copying (sqlite-vec reads a BLOB as float32). */
function blob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Scales, rounds and clamps a float vector into int8 (see {@link LayoutSpec.int8Scale}). */
export function quantizeInt8(vector: Float32Array, scale = DEFAULT_INT8_SCALE): Int8Array {
  const out = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = Math.max(-128, Math.min(127, Math.round(vector[i]! * scale)));
  return out;
}

/**
 * Inserts vectors in one transaction per call (callers stream large sets in
 * batches of a few thousand so neither memory nor the WAL grows unbounded).
 * Every vector is checked against the layout's dimensions first, so a wrong
 * embedder fails with a clear message instead of sqlite-vec's generic one.
 * Rowids are bound as BigInt because better-sqlite3 binds JS numbers as REAL,
 * which vec0 refuses as a rowid.
 */
export function insertVectors(db: Sqlite, spec: LayoutSpec, rows: Iterable<VectorRow>): number {
  const t = layoutTables(spec);
  const value = spec.kind === 'float' ? '?' : spec.kind === 'binary' ? 'vec_quantize_binary(?)' : 'vec_int8(?)';
  const index = spec.partitioned ? prepare(db, `insert into ${t.index}(rowid, part, embedding) values (?, ?, ${value})`) : prepare(db, `insert into ${t.index}(rowid, embedding) values (?, ${value})`);
  const floats = t.floats ? prepare(db, `insert into ${t.floats}(rowid, embedding) values (?, ?)`) : undefined;
  const scale = spec.int8Scale ?? DEFAULT_INT8_SCALE;
  let n = 0;
  db.transaction(() => {
    for (const row of rows) {
      checkDims(spec, row.vector, `vector ${row.rowid}`);
      const id = BigInt(row.rowid);
      const bytes = blob(row.vector);
      if (spec.partitioned && row.partition === undefined) throw new Error(`vector ${row.rowid} has no partition, the layout ${spec.prefix} is partitioned`);
      const key = spec.partitioned ? [BigInt(row.partition!)] : [];
      if (spec.kind === 'int8') {
        const q = quantizeInt8(row.vector, scale);
        index.run(id, ...key, Buffer.from(q.buffer, q.byteOffset, q.byteLength));
      } else {
        index.run(id, ...key, bytes);
      }
      floats?.run(id, bytes);
      n++;
    }
  })();
  return n;
}

/**
 * The rowids of the `k` stored vectors nearest to `query`, nearest first.
 *
 * `float` is one exact vec0 KNN scan. The quantised layouts run the coarse
 * KNN over the compact column for `k·oversample` candidates and re-score
 * just those with exact float L2 in the same statement, so the final order
 * (and the top result for a query equal to a stored vector) is exact among
 * the candidates; only candidates the coarse pass missed cost recall.
 */
/** Removes vectors by rowid from every table of the layout; returns how many were there. */
export function deleteVectors(db: Sqlite, spec: LayoutSpec, rowids: Iterable<number | bigint>): number {
  const t = layoutTables(spec);
  const index = prepare(db, `delete from ${t.index} where rowid = ?`);
  const floats = t.floats ? prepare(db, `delete from ${t.floats} where rowid = ?`) : undefined;
  let n = 0;
  db.transaction(() => {
    for (const rowid of rowids) {
      const id = BigInt(rowid);
      n += index.run(id).changes;
      floats?.run(id);
    }
  })();
  return n;
}

/** Vectors stored in the layout. */
export function countVectors(db: Sqlite, spec: LayoutSpec): number {
  const t = layoutTables(spec);
  return (prepare(db, `select count(*) as n from ${t.index}`).get() as { n: number }).n;
}

/** Options of {@link knn}. */
export interface KnnOptions {
  /** Partitioned layouts: the only partitions searched (an empty list finds nothing). */
  partitions?: readonly (number | bigint)[] | undefined;
}

export function knn(db: Sqlite, spec: LayoutSpec, query: Float32Array, k: number, options: KnnOptions = {}): number[] {
  checkDims(spec, query, 'query');
  if (!Number.isInteger(k) || k <= 0) throw new Error(`k must be a positive integer, got ${k}`);
  const t = layoutTables(spec);
  const q = blob(query);
  // With a partition key, vec0 runs one KNN per listed partition (k each): the outer
  // ORDER BY … LIMIT picks the global top k. Rows of other partitions are never read.
  let filter = '';
  const args: unknown[] = [];
  if (spec.partitioned) {
    const parts = options.partitions ?? [];
    if (parts.length === 0) return [];
    filter = ' and part in (select value from json_each(?))';
    args.push(JSON.stringify(parts.map((p) => Number(p))));
  }
  if (spec.kind === 'float') {
    // vec0 refuses LIMIT beside `k = ?`, so the global cut happens outside a materialised scan.
    const rows = prepare(db, `with scan as materialized (select rowid, distance from ${t.index} where embedding match ? and k = ?${filter}) select rowid from scan order by distance limit ?`).all(q, k, ...args, k) as Array<{
      rowid: number;
    }>;
    return rows.map((r) => r.rowid);
  }
  // vec0 caps k at 4096 per query.
  const candidates = Math.min(4096, k * (spec.oversample ?? DEFAULT_OVERSAMPLE));
  let coarseQuery: Buffer;
  let coarseExpr: string;
  if (spec.kind === 'binary') {
    coarseQuery = q;
    coarseExpr = 'vec_quantize_binary(?)';
  } else {
    const q8 = quantizeInt8(query, spec.int8Scale ?? DEFAULT_INT8_SCALE);
    coarseQuery = Buffer.from(q8.buffer, q8.byteOffset, q8.byteLength);
    coarseExpr = 'vec_int8(?)';
  }
  const rows = prepare(
      db,
      `with scan as materialized (select rowid, distance from ${t.index} where embedding match ${coarseExpr} and k = ?${filter}),
            coarse as (select rowid from scan order by distance limit ?)
       select v.rowid as rowid from coarse join ${t.floats} v on v.rowid = coarse.rowid
       order by vec_distance_l2(v.embedding, ?) limit ?`,
    ).all(coarseQuery, candidates, ...args, candidates, q, k) as Array<{ rowid: number }>;
  return rows.map((r) => r.rowid);
}
