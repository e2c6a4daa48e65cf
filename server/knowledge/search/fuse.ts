/** The usual reciprocal-rank-fusion constant: damps the head so no single list dominates. */
export const RRF_K = 60;

/** One ranked list to fuse, with its weight. */
export interface RankedList {
  ids: readonly number[];
  weight?: number | undefined;
}

/**
 * Reciprocal rank fusion: each id scores Σ weight / (k + rank) over the
 * lists it appears in (rank from 1). Fusing ranks rather than scores needs
 * no calibration between BM25 and vector distances. Ties keep the order of
 * first appearance. Returns ids with their scores, best first.
 */
export function fuseRanks(lists: readonly RankedList[], k = RRF_K): Array<{ id: number; score: number }> {
  const scores = new Map<number, number>();
  for (const list of lists) {
    const w = list.weight ?? 1;
    list.ids.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + w / (k + i + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
