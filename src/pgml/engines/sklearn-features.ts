/**
 * The order in which scikit-learn's BestSplitter visits features (node_split_best in _splitter.pyx).
 * With every feature a candidate (bagging's trees), the order decides only ties between equally good
 * features, and those are common in deep nodes of few rows: a tree breaks them in the order it visits
 * features, so the same tree needs the same order. sklearn draws each node's order with Fisher-Yates over
 * one features array that persists from node to node, skips features known to be constant in the node's
 * ancestors, and records the constants it finds for the node's descendants: all kept here, draw for draw.
 */
import { NumpyRandomState } from './numpy-random.js';

/** sklearn's RAND_R_MAX (2^31 - 1): the bound of the splitter's seed and of our_rand_r. */
const RAND_R_MAX = 0x7fffffff;
/** sklearn's FEATURE_THRESHOLD: a feature whose node values span at most this much is constant there. */
export const FEATURE_THRESHOLD = 1e-7;

/**
 * A DecisionTree's splitter generator: our_rand_r (xorshift32, modulo 2^31) from the state
 * Splitter.init draws, RandomState(tree seed).randint(0, RAND_R_MAX); rand_int and rand_uniform on it (_utils.pyx).
 */
export class RandR {
  /**
   * The uint32 state's bits as an int32: as a uint32 number, every state at or above 2^31 (half of them)
   * is a new heap number, ~9 bytes of garbage a draw (several MB a fully grown diabetes forest).
   */
  private state: number;

  private constructor(state: number) {
    this.state = state | 0;
  }

  static forTree(treeSeed: number): RandR {
    return new RandR(new NumpyRandomState(treeSeed).bounded(RAND_R_MAX - 1));
  }

  next(): number {
    // xorshift32 on the int32 bits: <<, >>> and ^ give the same 32 bits as on the uint32.
    let s = this.state === 0 ? 1 : this.state;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s;
    // s mod 2^31, its low 31 bits: an integer operation where % on a uint32 above 2^31 may not be one.
    return s & 0x7fffffff;
  }

  /** An integer in [low, high). */
  int(low: number, high: number): number {
    return low + (this.next() % (high - low));
  }

  /** A double in [low, high). */
  uniform(low: number, high: number): number {
    return ((high - low) * this.next()) / RAND_R_MAX + low;
  }
}

export class SklearnFeatureOrder {
  /** The splitter's generator: node() draws features from it, and a random splitter its thresholds between. */
  readonly random: RandR;
  private readonly features: Int32Array;
  private readonly constantFeatures: Int32Array;
  /** The last node's visited (non-constant) features, in order. */
  readonly visited: Int32Array;
  /** How many of `visited` the last node filled. */
  visitedCount = 0;

  /**
   * For a DecisionTree* whose random_state is `treeSeed`: Splitter.init draws its rand_r state as
   * RandomState(treeSeed).randint(0, RAND_R_MAX).
   */
  constructor(cols: number, private readonly maxFeatures: number, treeSeed: number) {
    this.random = RandR.forTree(treeSeed);
    this.features = Int32Array.from({ length: cols }, (_, i) => i);
    this.constantFeatures = new Int32Array(cols);
    this.visited = new Int32Array(cols);
  }

  /**
   * One node's draws: fills `visited` with the features to evaluate, in sklearn's order (their count in
   * `visitedCount`), and returns the constants known to the node's children (its n_constant_features):
   * numbers rather than a record, so a fully grown forest's hundred thousand nodes leave no garbage. `known` is
   * the parent's count (0 at the root); `isConstant(f)` tells whether f spans FEATURE_THRESHOLD or less
   * over the node's rows. It is called once per drawn feature, in draw order, so a splitter that draws
   * more per feature (node_split_random's threshold, from `random`) draws it there, as sklearn does.
   */
  node(known: number, isConstant: (feature: number) => boolean): number {
    const { features, constantFeatures, visited } = this;
    let fi = features.length;
    let nVisited = 0;
    let nFound = 0;
    let nDrawn = 0;
    let nTotal = known;
    let count = 0;
    while (fi > nTotal && (nVisited < this.maxFeatures || nVisited <= nFound + nDrawn)) {
      nVisited++;
      let fj = this.random.int(nDrawn, fi - nFound);
      if (fj < known) {
        swap(features, nDrawn, fj);
        nDrawn++;
        continue;
      }
      fj += nFound;
      const feature = features[fj]!;
      if (isConstant(feature)) {
        swap(features, fj, nTotal);
        nFound++;
        nTotal++;
        continue;
      }
      fi--;
      swap(features, fi, fj);
      visited[count++] = feature;
    }
    // sklearn keeps the known constants' original order for siblings and children, then appends the new ones.
    // Loops rather than set(subarray(...)): two typed-array views a node (and their GC) for a few values each.
    for (let i = 0; i < known; i++) features[i] = constantFeatures[i]!;
    for (let i = known; i < known + nFound; i++) constantFeatures[i] = features[i]!;
    this.visitedCount = count;
    return nTotal;
  }
}

export function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
