/**
 * Training of the `ivf` vector index (see vector-index.ts): k-means
 * centroids from a sample, then every row re-assigned and re-coded.
 */
import type { Sqlite } from '../../../db/client.ts';
import { createIvfIndex, ivfCount, ivfState, ivfTables } from './ivf-state.ts';
import { levelCode, nearestCell, rowsOf, tertiles, trainCentroids } from './kmeans.ts';
import type { IvfSpec } from './spec.ts';
import { blob, forgetStatements, prepare } from './sql.ts';

/** Rows at which an untrained layout trains itself on insert (smaller scopes are searched exactly anyway). */
export const DEFAULT_TRAIN_AT = 2_000;
/** Up to this many rows, inserts also retrain when the rows have doubled (≈3 s at 10k × 768). */
export const AUTO_RETRAIN_ROWS = 10_000;
/** Sample rows per cell for k-means. */
const SAMPLE_PER_CELL = 32;
const ITERATIONS = 8;
/** Rows read per page when streaming the float table. */
const PAGE = 1024;

/** Cells for `rows` vectors: about √rows (316 at 100k), at most 1024; 0 (stay exhaustive) below 16. */
export function cellsFor(rows: number): number {
  const cells = Math.min(1024, Math.round(Math.sqrt(rows)));
  return cells < 16 ? 0 : cells;
}

/** Visits every stored vector in rowid order, a page at a time (better-sqlite3 cannot write while a statement iterates). */
function eachVector(db: Sqlite, spec: IvfSpec, visit: (rowid: number, part: number | null, v: Float32Array) => void): void {
  const t = ivfTables(spec);
  const page = prepare(db, `select rowid, part, embedding from ${t.floats} where rowid > ? order by rowid limit ${PAGE}`);
  let after: number | bigint = -(2n ** 63n);
  for (;;) {
    const rows = page.all(after) as Array<{ rowid: number; part: number | null; embedding: Buffer }>;
    for (const r of rows) visit(r.rowid, r.part, new Float32Array(r.embedding.buffer, r.embedding.byteOffset, spec.dims));
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.rowid;
  }
}

/**
 * Trains after an insert when that is due and cheap: the first time the
 * layout reaches {@link IvfSpec.trainAt} rows, and again each time the
 * rows double while there are at most {@link AUTO_RETRAIN_ROWS}. Larger
 * layouts are retrained by the store's maintenance ({@link retrainIvf}).
 */
export function trainIfDue(db: Sqlite, spec: IvfSpec): void {
  if (!ivfNeedsRetrain(db, spec)) return;
  if (!ivfState(db, spec).centroids || ivfCount(db, spec) <= AUTO_RETRAIN_ROWS) retrainIvf(db, spec);
}

/**
 * Retrains the layout on its current rows, in one transaction: ≈√n cells by
 * spherical k-means on a sample of 32 rows a cell, each dimension's
 * tertiles over the sample as the codes' thresholds, then the vec0 table
 * rebuilt with every row in its nearest cell. With rows for fewer than 16
 * cells (under ~240) it returns the layout to one exhaustive cell. Cost is
 * linear in rows × cells (≈45 s at 100k × 768 on one core, see
 * test/bench/vectors.ts) and it blocks the connection (and other writers)
 * meanwhile, so run it from background maintenance, not a request.
 * Returns the number of cells.
 */
export function retrainIvf(db: Sqlite, spec: IvfSpec): number {
  const t = ivfTables(spec);
  const dims = spec.dims;
  return db.transaction(() => {
    const rows = ivfCount(db, spec);
    const cells = cellsFor(rows);
    // One pass for a uniform reservoir sample.
    const size = Math.min(rows, cells * SAMPLE_PER_CELL);
    const sample = new Float32Array(size * dims);
    let seen = 0;
    let random = 0x9e3779b9;
    eachVector(db, spec, (_rowid, _part, v) => {
      random = (Math.imul(random, 1664525) + 1013904223) >>> 0;
      const slot = seen < size ? seen : random % (seen + 1);
      if (slot < size) sample.set(v, slot * dims);
      seen++;
    });
    const rowsIn = rowsOf(sample, dims);
    const flat = cells > 0 ? trainCentroids(rowsIn, dims, cells, ITERATIONS) : undefined;
    const centroids = flat && rowsOf(flat, dims);
    const levels = cells > 0 ? tertiles(rowsIn, dims) : undefined;

    // A fresh vec0 table is faster than moving every row between partitions.
    db.exec(`drop table if exists ${t.index}`);
    forgetStatements(db);
    createIvfIndex(db, spec);
    const insert = spec.partitioned
      ? prepare(db, `insert into ${t.index}(rowid, cell, embedding, part) values (?, ?, vec_bit(?), ?)`)
      : prepare(db, `insert into ${t.index}(rowid, cell, embedding) values (?, ?, vec_bit(?))`);
    eachVector(db, spec, (rowid, part, v) => {
      const cell = BigInt(centroids ? nearestCell(centroids, v) + 1 : 0);
      const code = blob(levelCode(v, levels));
      if (spec.partitioned) insert.run(BigInt(rowid), cell, code, BigInt(part ?? 0));
      else insert.run(BigInt(rowid), cell, code);
    });
    db.exec(`delete from ${t.cells}`);
    const cell = prepare(db, `insert into ${t.cells}(cell, centroid) values (?, ?)`);
    centroids?.forEach((centroid, c) => cell.run(c + 1, blob(centroid)));
    const set = prepare(db, `insert into ${t.state}(key, value) values (?, ?) on conflict(key) do update set value = excluded.value`);
    set.run('levels', levels ? Buffer.concat([blob(levels.lo), blob(levels.hi)]) : null);
    set.run('trained', rows);
    set.run('version', ivfState(db, spec).version + 1);
    return cells;
  })();
}

/** Whether the layout has outgrown (or shrunk away from) its training: rows doubled or halved since, or never trained. */
export function ivfNeedsRetrain(db: Sqlite, spec: IvfSpec): boolean {
  const state = ivfState(db, spec);
  const rows = ivfCount(db, spec);
  if (!state.centroids) return cellsFor(rows) > 0 && rows >= (spec.trainAt ?? DEFAULT_TRAIN_AT);
  return cellsFor(rows) > 0 && (rows >= 2 * state.trained || rows * 2 <= state.trained);
}
