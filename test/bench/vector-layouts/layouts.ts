/**
 * Every vector layout the benchmark compares, behind one interface: the
 * exhaustive ones of flat.ts and the product's `ivf` index
 * (server/knowledge/store/vector-index/), each opened as a `VectorIndex`.
 */
import type { Sqlite } from '../../../server/db/client.ts';
import { openVectorIndex, type IvfSpec, type VectorIndex } from '../../../server/knowledge/store/vector-index/vector-index.ts';
import { openFlatIndex, type FlatSpec } from './flat.ts';

/** One layout to compare: an exhaustive one or the product's `ivf`. */
export type LayoutSpec = FlatSpec | IvfSpec;

/** Which layout. */
export type LayoutKind = LayoutSpec['kind'];

/** The layout of `spec` on this connection. */
export function openLayout(db: Sqlite, spec: LayoutSpec): VectorIndex {
  return spec.kind === 'ivf' ? openVectorIndex(db, spec) : openFlatIndex(db, spec);
}
