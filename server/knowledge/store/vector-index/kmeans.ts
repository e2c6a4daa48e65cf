/**
 * The arithmetic of the `ivf` vector layout, free of SQL: spherical k-means
 * for the cell centroids, nearest-cell ranking and the two-bit codes.
 * Vectors are flat Float32Arrays of `dims`-long rows.
 */
import { seededRandom } from '../../../kernel/random.ts';

/**
 * Dot product of two vectors of equal length. Indexing from 0 to `length`
 * lets V8 drop the bounds checks: ≈0.9 ns per term against ≈1.7 ns with
 * offsets into a shared array, which is why vectors travel as subarrays.
 */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  if (n % 4 !== 0) {
    let d = 0;
    for (let j = 0; j < n; j++) d += a[j]! * b[j]!;
    return d;
  }
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  for (let j = 0; j < n; j += 4) {
    d0 += a[j]! * b[j]!;
    d1 += a[j + 1]! * b[j + 1]!;
    d2 += a[j + 2]! * b[j + 2]!;
    d3 += a[j + 3]! * b[j + 3]!;
  }
  return d0 + d1 + d2 + d3;
}

/** Rows of a flat `n × dims` array as subarray views. */
export function rowsOf(flat: Float32Array, dims: number): Float32Array[] {
  return Array.from({ length: flat.length / dims }, (_, i) => flat.subarray(i * dims, (i + 1) * dims));
}

/** Index of the centroid with the largest dot product with `v` (the nearest, for unit vectors). */
export function nearestCell(centroids: readonly Float32Array[], v: Float32Array): number {
  let best = -Infinity;
  let cell = 0;
  for (let c = 0; c < centroids.length; c++) {
    const d = dot(centroids[c]!, v);
    if (d > best) {
      best = d;
      cell = c;
    }
  }
  return cell;
}

/** Centroid indexes ordered from nearest to farthest from `query`. */
export function rankCells(centroids: readonly Float32Array[], query: Float32Array): Int32Array {
  const scores = new Float64Array(centroids.length);
  for (let c = 0; c < centroids.length; c++) scores[c] = dot(centroids[c]!, query);
  return Int32Array.from({ length: centroids.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
}

/** Per-dimension thresholds of the two-bit codes: `lo[i] ≤ hi[i]`. */
export interface Levels {
  lo: Float32Array;
  hi: Float32Array;
}

/**
 * Two-bit thermometer code of `v` in sqlite-vec's `bit[N]` layout: for
 * dimension i, bit 2i is `v[i] > lo[i]` and bit 2i+1 is `v[i] > hi[i]` (bit b
 * is bit b mod 8 of byte ⌊b/8⌋), so the Hamming distance between two codes
 * is the L1 distance between their three-level quantisations. With the
 * thresholds at each dimension's tertiles it ranks candidates much better
 * than one sign bit (see the module comment of vector-index.ts). Without
 * levels (before training) both bits are the sign.
 */
export function levelCode(v: Float32Array, levels: Levels | undefined): Uint8Array {
  const out = new Uint8Array(Math.ceil(v.length / 4));
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const shift = (2 * i) & 7;
    if (x > (levels ? levels.lo[i]! : 0)) out[i >> 2]! |= 1 << shift;
    if (x > (levels ? levels.hi[i]! : 0)) out[i >> 2]! |= 2 << shift;
  }
  return out;
}

/** Each dimension's tertiles over the sample rows: the {@link Levels} of the codes. */
export function tertiles(sample: readonly Float32Array[], dims: number): Levels {
  const lo = new Float32Array(dims);
  const hi = new Float32Array(dims);
  const column = new Float32Array(sample.length);
  for (let j = 0; j < dims; j++) {
    for (let i = 0; i < sample.length; i++) column[i] = sample[i]![j]!;
    column.sort();
    lo[j] = column[Math.floor(column.length / 3)]!;
    hi[j] = column[Math.floor((2 * column.length) / 3)]!;
  }
  return { lo, hi };
}

/**
 * Spherical k-means (Lloyd's iterations, centroids renormalised, so cells
 * follow cosine similarity) over the sample rows, seeded from distinct rows.
 * An emptied cell is reseeded from a random row. Returns `cells × dims`.
 */
export function trainCentroids(sample: readonly Float32Array[], dims: number, cells: number, iterations: number, seed = 0x1f5): Float32Array {
  const n = sample.length;
  if (n < cells) throw new Error(`k-means needs at least ${cells} sample vectors, got ${n}`);
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < cells; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const flat = new Float32Array(cells * dims);
  const centroids = rowsOf(flat, dims);
  for (let c = 0; c < cells; c++) centroids[c]!.set(sample[order[c]!]!);
  const assigned = new Int32Array(n);
  const sums = new Float64Array(cells * dims);
  const sizes = new Int32Array(cells);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) assigned[i] = nearestCell(centroids, sample[i]!);
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assigned[i]!;
      const v = sample[i]!;
      sizes[c]!++;
      for (let j = 0; j < dims; j++) sums[c * dims + j]! += v[j]!;
    }
    for (let c = 0; c < cells; c++) {
      if (sizes[c] === 0) {
        centroids[c]!.set(sample[Math.floor(random() * n)]!);
        continue;
      }
      let norm = 0;
      for (let j = 0; j < dims; j++) norm += sums[c * dims + j]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < dims; j++) centroids[c]![j] = sums[c * dims + j]! / norm;
    }
  }
  return flat;
}
