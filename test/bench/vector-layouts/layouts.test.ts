import { expect, it } from 'vitest';
import { A, B, describeIndexContract, exactTop, K, partitionOf, randomQuery } from '../../helpers/vector-index-contract.ts';
import { openLayout, type LayoutSpec } from './layouts.ts';

// The exhaustive layouts the benchmark measures the `ivf` index against,
// held to the same contract, so its comparisons are of layouts that work.
describeIndexContract<LayoutSpec>(
  {
    variants: { float: { kind: 'float' }, binary: { kind: 'binary' }, int8: { kind: 'int8' } },
    defaults: { oversample: 20 },
    open: openLayout,
    approximate: ['binary', 'int8'],
    exact: ['float'],
  },
  (t) => {
    it('float brute force is exact for an arbitrary query, partitioned or not', () => {
      const query = randomQuery();
      expect(t.index('float').knn(query, K)).toEqual(exactTop(query, K));
      expect(t.index('float', true).knn(query, K, { partitions: [A, B] })).toEqual(exactTop(query, K));
      expect(t.index('float', true).knn(query, K, { partitions: [B] })).toEqual(exactTop(query, K, (id) => partitionOf(id) === B));
    });

    it.each(['float', 'binary', 'int8'])('%s has nothing to train', (name) => {
      expect(t.index(name).needsRetrain()).toBe(false);
      expect(t.index(name).retrain()).toBe(0);
      expect(t.index(name).training()).toEqual({ cells: 0, trainedRows: 0 });
    });
  },
);
