/**
 * Gradient-boosted decision trees as flat arrays, evaluated the way LightGBM evaluates its
 * numerical splits (LightGBM `Tree::NumericalDecision`), so that our scores equal the library's
 * predictions (test/unit/gbdt/parity.test.ts):
 *
 * - a NaN input on a split whose missing type is not `nan` is read as 0;
 * - missing type `zero`: an input within ±1e-35 of 0 goes the split's default way;
 * - missing type `nan`: a NaN input goes the default way;
 * - otherwise `x <= threshold` goes left.
 *
 * Internal nodes of all trees share one set of arrays; a child ≥ 0 is an internal node, a child
 * < 0 is the leaf `~child`. A tree that is one leaf has root `~leaf`. No objects per node and no
 * recursion: a score is a few hundred array reads.
 */
export const MISSING_NONE = 0;
export const MISSING_ZERO = 1;
export const MISSING_NAN = 2;

export interface Trees {
  /** Number of input features; every `feature` entry is below it. */
  readonly featureCount: number;
  /** Per tree: its root (an internal node, or `~leaf`). */
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** MISSING_NONE, MISSING_ZERO or MISSING_NAN, per internal node. */
  readonly missing: Uint8Array;
  /** 1 when the default way (for a missing input) is left. */
  readonly defaultLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly leafValue: Float64Array;
}

/** LightGBM's kZeroThreshold. */
const ZERO = 1e-35;

/** The raw margin: the sum of the leaves `x` reaches, one per tree, in tree order. */
export function rawScore(t: Trees, x: ArrayLike<number>): number {
  const { roots, feature, threshold, missing, defaultLeft, left, right, leafValue } = t;
  let sum = 0;
  for (let k = 0; k < roots.length; k++) {
    let n = roots[k]!;
    while (n >= 0) {
      let v = x[feature[n]!]!;
      const m = missing[n]!;
      if (v !== v && m !== MISSING_NAN) v = 0;
      if ((m === MISSING_ZERO && v >= -ZERO && v <= ZERO) || (m === MISSING_NAN && v !== v)) {
        n = defaultLeft[n] === 1 ? left[n]! : right[n]!;
      } else {
        n = v <= threshold[n]! ? left[n]! : right[n]!;
      }
    }
    sum += leafValue[~n]!;
  }
  return sum;
}

export class TreeStructureError extends Error {}

/**
 * Checks that the arrays form trees: lengths agree, features are in range, and from every root
 * each internal node and leaf is reached exactly once (no cycle, no sharing, nothing orphaned),
 * so that `rawScore` always ends.
 */
export function checkTrees(t: Trees): void {
  const nodes = t.feature.length;
  for (const [name, a] of [
    ['threshold', t.threshold],
    ['missing', t.missing],
    ['default_left', t.defaultLeft],
    ['left', t.left],
    ['right', t.right],
  ] as const) {
    if (a.length !== nodes)
      throw new TreeStructureError(`${name}: ${a.length} entries, split_feature has ${nodes}`);
  }
  const seenNode = new Uint8Array(nodes);
  const seenLeaf = new Uint8Array(t.leafValue.length);
  const stack: number[] = [];
  for (let k = 0; k < t.roots.length; k++) {
    stack.push(t.roots[k]!);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n < 0) {
        const leaf = ~n;
        if (leaf >= seenLeaf.length)
          throw new TreeStructureError(`tree ${k}: leaf ${leaf} does not exist`);
        if (seenLeaf[leaf] === 1)
          throw new TreeStructureError(`tree ${k}: leaf ${leaf} is reached twice`);
        seenLeaf[leaf] = 1;
        continue;
      }
      if (n >= nodes) throw new TreeStructureError(`tree ${k}: node ${n} does not exist`);
      if (seenNode[n] === 1) throw new TreeStructureError(`tree ${k}: node ${n} is reached twice`);
      seenNode[n] = 1;
      const f = t.feature[n]!;
      if (f < 0 || f >= t.featureCount)
        throw new TreeStructureError(`node ${n}: feature ${f} outside 0..${t.featureCount - 1}`);
      if (t.missing[n]! > MISSING_NAN)
        throw new TreeStructureError(`node ${n}: missing type ${t.missing[n]} is unknown`);
      stack.push(t.right[n]!, t.left[n]!);
    }
  }
  const orphanNode = seenNode.indexOf(0);
  if (orphanNode >= 0) throw new TreeStructureError(`node ${orphanNode} belongs to no tree`);
  const orphanLeaf = seenLeaf.indexOf(0);
  if (orphanLeaf >= 0) throw new TreeStructureError(`leaf ${orphanLeaf} belongs to no tree`);
}
