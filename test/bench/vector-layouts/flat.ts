/**
 * The exhaustive layouts the knowledge store's `ivf` vector index was
 * measured against (server/knowledge/store/vector-index/vector-index.ts):
 * `float` (exact vec0 brute force), and `binary` / `int8` (a compact vec0
 * column scanned in full for candidates, re-scored with exact float L2 from
 * a plain BLOB table). Partitioned, vec0's partition key `part` holds the
 * collection. Only the benchmark and the tests comparing layouts use them.
 */
import type { Sqlite } from '../../../server/db/client.ts';
import { indexOver, type IndexSpec, type VectorIndex, type VectorRow } from '../../../server/knowledge/store/vector-index/vector-index.ts';
import { blob, checkPrefix, integerKey, prepare, rowPartition } from '../../../server/knowledge/store/vector-index/sql.ts';

/** An exhaustive layout. */
export interface FlatSpec extends IndexSpec {
  kind: 'float' | 'binary' | 'int8';
  /**
   * `int8` layout: factor applied before rounding to int8. Components of a
   * unit vector in hundreds of dimensions are small (≈1/√N), so
   * sqlite-vec's `vec_quantize_int8(v, 'unit')` (which maps [-1, 1]) would use
   * only a handful of the 256 levels; a larger scale with clamping keeps
   * resolution where the values are. Default 127 / 0.25.
   */
  int8Scale?: number | undefined;
}

/** Default candidates re-scored per result for the quantised layouts. */
export const DEFAULT_OVERSAMPLE = 10;
const DEFAULT_INT8_SCALE = 127 / 0.25;
// vec0 allocates whole chunks per partition: 1024 (the default) float[768]
// slots are 3 MiB, too much for a small collection.
const PARTITIONED_CHUNK_SIZE = 128;

/** Table names of an exhaustive layout (the vec0 table and, if quantised, the float BLOB table). */
export function flatTables(spec: FlatSpec): { index: string; floats?: string } {
  checkPrefix(spec);
  if (spec.kind === 'float') return { index: `${spec.prefix}_float` };
  return { index: `${spec.prefix}_${spec.kind}`, floats: `${spec.prefix}_vectors` };
}

/** Scales, rounds and clamps a float vector into int8 (see {@link FlatSpec.int8Scale}). */
export function quantizeInt8(vector: Float32Array, scale = DEFAULT_INT8_SCALE): Int8Array {
  const out = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = Math.max(-128, Math.min(127, Math.round(vector[i]! * scale)));
  return out;
}

/** Creates the tables (idempotent). */
export function createFlat(db: Sqlite, spec: FlatSpec): void {
  if (spec.kind === 'binary' && spec.dims % 8 !== 0) throw new Error(`binary layout needs dims divisible by 8, got ${spec.dims}`);
  const t = flatTables(spec);
  const column = spec.kind === 'float' ? `float[${spec.dims}]` : spec.kind === 'binary' ? `bit[${spec.dims}]` : `int8[${spec.dims}]`;
  const part = spec.partitioned ? `part integer partition key, ` : '';
  const options = spec.partitioned ? `, chunk_size=${PARTITIONED_CHUNK_SIZE}` : '';
  db.exec(`create virtual table if not exists ${t.index} using vec0(${part}embedding ${column}${options})`);
  if (t.floats) db.exec(`create table if not exists ${t.floats} (rowid integer primary key, embedding blob not null)`);
}

/** Drops the tables. */
export function dropFlat(db: Sqlite, spec: FlatSpec): void {
  const t = flatTables(spec);
  db.exec(`drop table if exists ${t.index}`);
  if (t.floats) db.exec(`drop table if exists ${t.floats}`);
}

/** Inserts checked rows (the caller holds the transaction). */
export function insertFlat(db: Sqlite, spec: FlatSpec, rows: readonly VectorRow[]): void {
  const t = flatTables(spec);
  const value = spec.kind === 'float' ? '?' : spec.kind === 'binary' ? 'vec_quantize_binary(?)' : 'vec_int8(?)';
  const index = spec.partitioned
    ? prepare(db, `insert into ${t.index}(rowid, part, embedding) values (?, ?, ${value})`)
    : prepare(db, `insert into ${t.index}(rowid, embedding) values (?, ${value})`);
  const floats = t.floats ? prepare(db, `insert into ${t.floats}(rowid, embedding) values (?, ?)`) : undefined;
  const scale = spec.int8Scale ?? DEFAULT_INT8_SCALE;
  for (const row of rows) {
    const id = integerKey(row.rowid, 'rowid');
    const part = rowPartition(spec, row.rowid, row.partition);
    const coarse = spec.kind === 'int8' ? blob(quantizeInt8(row.vector, scale)) : blob(row.vector);
    if (part === undefined) index.run(id, coarse);
    else index.run(id, part, coarse);
    floats?.run(id, blob(row.vector));
  }
}

/** Deletes rows by rowid (the caller holds the transaction); returns how many existed. */
export function deleteFlat(db: Sqlite, spec: FlatSpec, rowids: readonly bigint[]): number {
  const t = flatTables(spec);
  // vec0's `_rowids` shadow table answers "is it there" without touching a chunk.
  const exists = prepare(db, `select 1 from ${t.index}_rowids where rowid = ?`);
  const index = prepare(db, `delete from ${t.index} where rowid = ?`);
  const floats = t.floats ? prepare(db, `delete from ${t.floats} where rowid = ?`) : undefined;
  let n = 0;
  for (const id of rowids) {
    if (!exists.get(id)) continue;
    index.run(id);
    floats?.run(id);
    n++;
  }
  return n;
}

/** Rows stored. */
export function countFlat(db: Sqlite, spec: FlatSpec): number {
  return (prepare(db, `select count(*) as n from ${flatTables(spec).index}_rowids`).get() as { n: number }).n;
}

/**
 * The `k` nearest rowids. With a partition key vec0 runs one KNN per listed
 * partition (k each), so the global cut is an ORDER BY … LIMIT outside a
 * materialised scan (vec0 refuses LIMIT beside `k = ?`). Rows of other
 * partitions are never read. `parts` is a JSON list, or undefined when the
 * layout is not partitioned.
 */
export function knnFlat(db: Sqlite, spec: FlatSpec, query: Float32Array, k: number, candidates: number, parts: string | undefined): number[] {
  const t = flatTables(spec);
  const filter = parts === undefined ? '' : ' and part in (select value from json_each(@parts))';
  const args: Record<string, unknown> = { q: blob(query), k, c: candidates, ...(parts === undefined ? {} : { parts }) };
  let sql: string;
  if (spec.kind === 'float') {
    sql = `with scan as materialized (select rowid, distance from ${t.index} where embedding match @q and k = @k${filter})
           select rowid from scan order by distance limit @k`;
  } else {
    const coarse = spec.kind === 'binary' ? 'vec_quantize_binary(@q)' : 'vec_int8(@q8)';
    if (spec.kind === 'int8') args.q8 = blob(quantizeInt8(query, spec.int8Scale ?? DEFAULT_INT8_SCALE));
    sql = `with scan as materialized (select rowid, distance from ${t.index} where embedding match ${coarse} and k = @c${filter}),
                coarse as (select rowid from scan order by distance limit @c)
           select v.rowid as rowid from coarse join ${t.floats} v on v.rowid = coarse.rowid
           order by vec_distance_l2(v.embedding, @q) limit @k`;
  }
  return (prepare(db, sql).all(args) as Array<{ rowid: number }>).map((r) => r.rowid);
}

/** The exhaustive layout of `spec` as a vector index (nothing to train: retrain gives 0 cells). */
export function openFlatIndex(db: Sqlite, spec: FlatSpec): VectorIndex {
  return indexOver(db, spec, {
    create: () => createFlat(db, spec),
    drop: () => dropFlat(db, spec),
    insert: (rows) => insertFlat(db, spec, rows),
    delete: (rowids) => deleteFlat(db, spec, rowids),
    count: () => countFlat(db, spec),
    knn: (query, k, parts) => knnFlat(db, spec, query, k, Math.min(4096, k * (spec.oversample ?? DEFAULT_OVERSAMPLE)), parts),
    retrain: () => 0,
    needsRetrain: () => false,
    training: () => ({ cells: 0, trainedRows: 0 }),
  });
}
