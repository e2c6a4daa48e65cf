/**
 * Helpers shared by the vector index files (and by the comparison layouts of
 * test/bench/vector-layouts/): the per-connection statement cache, argument
 * checks and BLOB views.
 */
import type { Statement } from 'better-sqlite3';
import type { Sqlite } from '../../../db/client.ts';
import type { IndexSpec } from './spec.ts';

// Prepared statements per connection: preparing costs tens of microseconds,
// noticeable against a millisecond query budget.
const statements = new WeakMap<Sqlite, Map<string, Statement>>();

/** A prepared statement for `sql` on this connection, prepared once. */
export function prepare(db: Sqlite, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

/** Forgets the connection's cached statements (after tables were dropped or rebuilt). */
export function forgetStatements(db: Sqlite): void {
  statements.delete(db);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws unless the prefix is a plain SQL identifier (it is spliced into SQL). */
export function checkPrefix(spec: IndexSpec): void {
  if (!IDENT.test(spec.prefix)) throw new Error(`vector layout prefix ${JSON.stringify(spec.prefix)} is not a plain identifier`);
}

/** Throws unless `vector` is a Float32Array of the layout's dimensions. */
export function checkDims(spec: IndexSpec, vector: Float32Array, what: string): void {
  if (!(vector instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (vector.length !== spec.dims) throw new Error(`${what} has ${vector.length} dimensions, the ${spec.kind} layout ${spec.prefix} expects ${spec.dims}`);
}

/** Throws unless `k` is a positive integer. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k <= 0) throw new Error(`k must be a positive integer, got ${k}`);
}

/** Little-endian float32 bytes of a vector, without copying (sqlite-vec reads a BLOB as float32). */
export function blob(vector: Float32Array | Int8Array | Uint8Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A rowid or partition id as BigInt: better-sqlite3 binds JS numbers as REAL, which vec0 refuses as keys. */
export function integerKey(value: number | bigint | undefined, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`${what} must be an integer, got ${String(value)}`);
}

/** The row's partition key, required exactly when the layout is partitioned. */
export function rowPartition(spec: IndexSpec, rowid: number | bigint, partition: number | bigint | undefined): bigint | undefined {
  if (!spec.partitioned) return undefined;
  if (partition === undefined) throw new Error(`vector ${rowid} has no partition, the layout ${spec.prefix} is partitioned`);
  return integerKey(partition, `partition of vector ${rowid}`);
}

/**
 * The partitions a query may read as a JSON array for `json_each(?)` (one
 * prepared statement then serves any list), deduplicated; `[]` when none.
 */
export function partitionList(partitions: readonly (number | bigint)[] | undefined): string[] {
  const seen = new Set<string>();
  for (const p of partitions ?? []) seen.add(integerKey(p, 'partition').toString());
  return [...seen];
}
