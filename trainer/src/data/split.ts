/** Patient-disjoint train / validation / test splits. */
import { TvunetError } from '../../../src/errors.js';
import { MEDSEG_TEST_NEIGHBOURS, type SampleRef } from './datasets.js';
import { Rng } from './rng.js';

export interface Split {
  train: SampleRef[];
  validation: SampleRef[];
  test: SampleRef[];
}

/**
 * Splits by group within each source family: groups are shuffled with `seed` and handed to
 * validation, then test, until each holds its fraction of that family's samples. Groups that
 * appear in several sources (the Ma et al. volumes feed both ma2020 and the pseudo labels) are
 * decided once, so a patient never sits on two sides. MedSeg slices that neighbour held-out test
 * patients stay in training.
 */
export function splitByGroup(samples: SampleRef[], fractions: { validation: number; test: number }, seed: number): Split {
  if (fractions.validation < 0 || fractions.test < 0 || fractions.validation + fractions.test >= 1) {
    throw new TvunetError('INVALID_OPTIONS', 'validation and test fractions must be ≥ 0 and sum to less than 1');
  }
  const rng = new Rng(seed);
  const side = new Map<string, keyof Split>();
  const groupsOf = (pred: (s: SampleRef) => boolean) => {
    const sizes = new Map<string, number>();
    for (const s of samples) if (pred(s)) sizes.set(s.group, (sizes.get(s.group) ?? 0) + 1);
    return sizes;
  };
  // Families: MedSeg groups (one per slice or duplicate pair) and volume groups (patients).
  const families = [groupsOf((s) => s.group.startsWith('medseg-')), groupsOf((s) => !s.group.startsWith('medseg-'))];
  for (const sizes of families) {
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const order = rng.shuffle([...sizes.keys()].sort());
    let val = 0, test = 0;
    for (const g of order) {
      const eligible = !MEDSEG_TEST_NEIGHBOURS.has(g.replace('medseg-', ''));
      const n = sizes.get(g)!;
      if (eligible && val + n <= Math.ceil(fractions.validation * total)) { side.set(g, 'validation'); val += n; }
      else if (eligible && test + n <= Math.ceil(fractions.test * total)) { side.set(g, 'test'); test += n; }
      else side.set(g, 'train');
    }
  }
  const split: Split = { train: [], validation: [], test: [] };
  for (const s of samples) split[side.get(s.group)!].push(s);
  if (split.train.length === 0) throw new TvunetError('INVALID_INPUT', 'the split left no training samples');
  return split;
}
