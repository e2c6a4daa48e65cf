/**
 * Tables and trained state of the `ivf` vector index (see vector-index.ts):
 * names, creation, and the centroids and code thresholds read once per
 * connection and re-read when another connection (or a retrain) has changed them.
 */
import type { Sqlite } from '../../../db/client.ts';
import type { Levels } from './kmeans.ts';
import type { IvfSpec } from './spec.ts';
import { checkPrefix, prepare } from './sql.ts';

/** Rows per vec0 chunk: small, because each cell (partition) fills its own chunks. */
export const IVF_CHUNK_SIZE = 256;

/** Table names of an `ivf` layout. */
export interface IvfTables {
  /** vec0: `cell` partition key, two-bit codes, `part` metadata when partitioned. */
  index: string;
  /** Exact float vectors by rowid (and `part`), for re-scoring and small scopes. */
  floats: string;
  /** Cell centroids (cells 1…n; cell 0 holds every row until the first training). */
  cells: string;
  /** `version`, `trained` (rows at the last training), `levels` (the codes' thresholds, float32 BLOB). */
  state: string;
  /** Rows per partition (0 when unpartitioned): sizes a query's scope without counting. */
  counts: string;
}

/** Table names of an `ivf` layout. */
export function ivfTables(spec: IvfSpec): IvfTables {
  checkPrefix(spec);
  const p = spec.prefix;
  return { index: `${p}_ivf`, floats: `${p}_vectors`, cells: `${p}_cells`, state: `${p}_state`, counts: `${p}_counts` };
}

/** Bits of the two-bit code: 2·dims rounded up to whole bytes (vec0 `bit[N]` needs N divisible by 8). */
export function codeBits(spec: IvfSpec): number {
  return Math.ceil(spec.dims / 4) * 8;
}

/**
 * Creates the vec0 index table (idempotent). Its `_chunks` shadow table gets
 * an index on the partition column: sqlite-vec 0.1.9 finds a partition's
 * chunks with `where partition00 = ?` and has none, so without it every
 * probed cell scans the whole chunk list (~0.3 ms a cell at 100k rows).
 */
export function createIvfIndex(db: Sqlite, spec: IvfSpec): void {
  const t = ivfTables(spec);
  const part = spec.partitioned ? ', part integer' : '';
  db.exec(
    `create virtual table if not exists ${t.index} using vec0(cell integer partition key, embedding bit[${codeBits(spec)}]${part}, chunk_size=${IVF_CHUNK_SIZE})`,
  );
  db.exec(`create index if not exists ${t.index}_chunks_cell on ${t.index}_chunks(partition00)`);
}

/** Creates every table of the layout (idempotent). */
export function createIvf(db: Sqlite, spec: IvfSpec): void {
  const t = ivfTables(spec);
  createIvfIndex(db, spec);
  db.exec(`create table if not exists ${t.floats} (rowid integer primary key, part integer, embedding blob not null)`);
  if (spec.partitioned) db.exec(`create index if not exists ${t.floats}_part on ${t.floats}(part)`);
  db.exec(`create table if not exists ${t.cells} (cell integer primary key, centroid blob not null)`);
  db.exec(`create table if not exists ${t.state} (key text primary key, value)`);
  db.exec(`create table if not exists ${t.counts} (part integer primary key, n integer not null)`);
  db.exec(`insert or ignore into ${t.state}(key, value) values ('version', 0), ('trained', 0)`);
}

/** Drops every table of the layout. */
export function dropIvf(db: Sqlite, spec: IvfSpec): void {
  const t = ivfTables(spec);
  for (const name of [t.index, t.floats, t.cells, t.state, t.counts]) db.exec(`drop table if exists ${name}`);
  states.get(db)?.delete(spec.prefix);
}

/** What training left: centroids and code thresholds (both absent before the first training). */
export interface IvfState {
  version: number;
  /** Rows in the layout when it was last trained (0: never). */
  trained: number;
  /** Unit centroids: index c is cell c + 1 of the vec0 table. */
  centroids?: Float32Array[];
  levels?: Levels;
}

const states = new WeakMap<Sqlite, Map<string, IvfState>>();

function floats(value: unknown): Float32Array {
  const b = value as Buffer;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * The layout's trained state, cached per connection. The version row is
 * read on every call (a few microseconds) so a retrain by another
 * connection is picked up before this one assigns or probes cells.
 */
export function ivfState(db: Sqlite, spec: IvfSpec): IvfState {
  const t = ivfTables(spec);
  const version = (prepare(db, `select value from ${t.state} where key = 'version'`).get() as { value: number } | undefined)?.value ?? 0;
  let cache = states.get(db);
  if (!cache) states.set(db, (cache = new Map()));
  const known = cache.get(spec.prefix);
  if (known && known.version === version) return known;
  const rows = prepare(db, `select key, value from ${t.state}`).all() as Array<{ key: string; value: unknown }>;
  const get = (key: string) => rows.find((r) => r.key === key)?.value;
  const state: IvfState = { version, trained: Number(get('trained') ?? 0) };
  const cells = prepare(db, `select centroid from ${t.cells} order by cell`).all() as Array<{ centroid: Buffer }>;
  const levels = get('levels');
  if (cells.length > 0 && levels) {
    state.centroids = cells.map((c) => floats(c.centroid));
    const both = floats(levels);
    state.levels = { lo: both.subarray(0, spec.dims), hi: both.subarray(spec.dims) };
  }
  cache.set(spec.prefix, state);
  return state;
}

/** Rows in the given partitions (JSON list), or in the whole layout when `parts` is undefined. */
export function ivfCount(db: Sqlite, spec: IvfSpec, parts?: string): number {
  const t = ivfTables(spec);
  const row =
    parts === undefined
      ? prepare(db, `select coalesce(sum(n), 0) as n from ${t.counts}`).get()
      : prepare(db, `select coalesce(sum(n), 0) as n from ${t.counts} where part in (select value from json_each(?))`).get(parts);
  return (row as { n: number }).n;
}
