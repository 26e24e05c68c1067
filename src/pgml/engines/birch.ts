/**
 * `birch`: scikit-learn's Birch. Rows are inserted one by one into a CF tree (clustering features:
 * count, linear sum, sum of squared norms): a row joins the nearest leaf subcluster if the merged
 * radius stays within threshold, otherwise opens a new subcluster; a node with more than
 * branching_factor subclusters splits around its two farthest ones. The leaf subclusters' centroids
 * are then grouped into n_clusters by Ward's agglomerative clustering (sklearn's AgglomerativeClustering
 * default), or kept as the clusters when n_clusters is null. Predicts the group of the nearest centroid.
 */
import type { Dataset } from './engine.js';
import { intParam, rangeParam } from './engine-support.js';
import { clusteringFactory, type CentreModel } from './clustering-support.js';

const ALGORITHM = 'birch';

class Subcluster {
  count = 0;
  linearSum: Float64Array;
  squaredSum = 0;
  centroid: Float64Array;
  squaredNorm = 0;
  child: CfNode | undefined;

  constructor(cols: number, row?: ArrayLike<number>) {
    this.linearSum = new Float64Array(cols);
    this.centroid = new Float64Array(cols);
    if (row) {
      this.count = 1;
      this.linearSum.set(Array.from(row));
      this.centroid.set(Array.from(row));
      this.squaredSum = this.squaredNorm = dot(this.linearSum, this.linearSum);
    }
  }

  update(other: Subcluster): void {
    this.count += other.count;
    for (let c = 0; c < this.linearSum.length; c++) this.linearSum[c]! += other.linearSum[c]!;
    this.squaredSum += other.squaredSum;
    this.centroid = this.linearSum.map((v) => v / this.count);
    this.squaredNorm = dot(this.centroid, this.centroid);
  }

  /** Absorbs `other` when the merged radius √(Σ‖x‖²/n − ‖c‖²) is within threshold. */
  tryMerge(other: Subcluster, threshold: number): boolean {
    const count = this.count + other.count;
    const linearSum = this.linearSum.map((v, c) => v + other.linearSum[c]!);
    const squaredSum = this.squaredSum + other.squaredSum;
    const centroid = linearSum.map((v) => v / count);
    const squaredNorm = dot(centroid, centroid);
    if (squaredSum / count - squaredNorm > threshold * threshold) return false;
    Object.assign(this, { count, linearSum, squaredSum, centroid, squaredNorm });
    return true;
  }
}

class CfNode {
  subclusters: Subcluster[] = [];
  prevLeaf: CfNode | undefined;
  nextLeaf: CfNode | undefined;

  constructor(readonly isLeaf: boolean, private readonly threshold: number, private readonly branching: number) {}

  /** Inserts; true when this node now has too many subclusters and its parent must split it. */
  insert(sub: Subcluster): boolean {
    if (this.subclusters.length === 0) {
      this.subclusters.push(sub);
      return false;
    }
    let closest = 0;
    let best = Infinity;
    this.subclusters.forEach((s, i) => {
      const d = s.squaredNorm - 2 * dot(s.centroid, sub.centroid);
      if (d < best) {
        best = d;
        closest = i;
      }
    });
    const target = this.subclusters[closest]!;
    if (target.child) {
      if (!target.child.insert(sub)) {
        target.update(sub);
        return false;
      }
      const [first, second] = splitNode(target.child, this.threshold, this.branching);
      this.subclusters[closest] = first;
      this.subclusters.push(second);
      return this.subclusters.length > this.branching;
    }
    if (target.tryMerge(sub, this.threshold)) return false;
    this.subclusters.push(sub);
    return this.subclusters.length > this.branching;
  }
}

/** Splits a node's subclusters around its two farthest ones (sklearn's _split_node). */
function splitNode(node: CfNode, threshold: number, branching: number): [Subcluster, Subcluster] {
  const cols = node.subclusters[0]!.centroid.length;
  const halves = [new Subcluster(cols), new Subcluster(cols)] as const;
  const nodes = [new CfNode(node.isLeaf, threshold, branching), new CfNode(node.isLeaf, threshold, branching)] as const;
  halves[0].child = nodes[0];
  halves[1].child = nodes[1];
  if (node.isLeaf) {
    if (node.prevLeaf) node.prevLeaf.nextLeaf = nodes[0];
    nodes[0].prevLeaf = node.prevLeaf;
    nodes[0].nextLeaf = nodes[1];
    nodes[1].prevLeaf = nodes[0];
    nodes[1].nextLeaf = node.nextLeaf;
    if (node.nextLeaf) node.nextLeaf.prevLeaf = nodes[1];
  }
  const subs = node.subclusters;
  const distance = (a: Subcluster, b: Subcluster) => Math.max(a.squaredNorm - 2 * dot(a.centroid, b.centroid) + b.squaredNorm, 0);
  let far: [number, number] = [0, 0];
  let farthest = -1;
  for (let i = 0; i < subs.length; i++) {
    for (let j = 0; j < subs.length; j++) {
      const d = distance(subs[i]!, subs[j]!);
      if (d > farthest) {
        farthest = d;
        far = [i, j];
      }
    }
  }
  subs.forEach((sub, i) => {
    const toFirst = i === far[0] || distance(sub, subs[far[0]]!) < distance(sub, subs[far[1]]!);
    const side = toFirst ? 0 : 1;
    nodes[side].subclusters.push(sub);
    halves[side].update(sub);
  });
  return [halves[0], halves[1]];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Ward's agglomerative clustering of points (each its own cluster at first) into k clusters, by the
 * nearest-neighbour chain: merging the pair with the least increase in within-cluster variance.
 */
export function wardLabels(points: Float64Array[], k: number): number[] {
  const n = points.length;
  const centre = points.map((p) => Float64Array.from(p));
  const size = new Array<number>(n).fill(1);
  const parent = Array.from({ length: n }, (_, i) => i);
  const alive = new Set(Array.from({ length: n }, (_, i) => i));
  const cost = (a: number, b: number) => {
    let d = 0;
    for (let c = 0; c < centre[a]!.length; c++) d += (centre[a]![c]! - centre[b]![c]!) ** 2;
    return (size[a]! * size[b]!) / (size[a]! + size[b]!) * d;
  };
  const chain: number[] = [];
  while (alive.size > k) {
    if (chain.length === 0) chain.push(alive.values().next().value!);
    const top = chain[chain.length - 1]!;
    const previous = chain.length > 1 ? chain[chain.length - 2]! : -1;
    let nearest = -1;
    let best = Infinity;
    for (const other of alive) {
      if (other === top) continue;
      const d = cost(top, other);
      if (d < best || (d === best && other === previous)) {
        best = d;
        nearest = other;
      }
    }
    if (nearest !== previous) {
      chain.push(nearest);
      continue;
    }
    chain.length -= 2;
    const total = size[top]! + size[nearest]!;
    centre[top] = centre[top]!.map((v, c) => (v * size[top]! + centre[nearest]![c]! * size[nearest]!) / total);
    size[top] = total;
    parent[nearest] = top;
    alive.delete(nearest);
  }
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  const ids = new Map<number, number>();
  return points.map((_, i) => {
    const r = root(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    return ids.get(r)!;
  });
}

function fit(data: Dataset, hp: Record<string, unknown>): CentreModel {
  const { x, rows, cols } = data;
  const threshold = rangeParam(ALGORITHM, hp, 'threshold', 0.5, { min: 0, exclusiveMin: true });
  const branching = intParam(ALGORITHM, hp, 'branching_factor', 50, 2);
  const clusters = hp.n_clusters === null ? undefined : intParam(ALGORITHM, hp, 'n_clusters', 3);
  let root = new CfNode(true, threshold, branching);
  const head = new CfNode(true, threshold, branching);
  head.nextLeaf = root;
  root.prevLeaf = head;
  for (let r = 0; r < rows; r++) {
    if (!root.insert(new Subcluster(cols, x.subarray(r * cols, (r + 1) * cols)))) continue;
    const [first, second] = splitNode(root, threshold, branching);
    root = new CfNode(false, threshold, branching);
    root.subclusters.push(first, second);
  }
  const centroids: Float64Array[] = [];
  for (let leaf: CfNode | undefined = head.nextLeaf; leaf; leaf = leaf.nextLeaf) for (const sub of leaf.subclusters) centroids.push(sub.centroid);
  const centres = centroids.flatMap((c) => Array.from(c));
  // Fewer subclusters than n_clusters: sklearn warns and keeps the subclusters as the clusters.
  if (clusters === undefined || centroids.length <= clusters) return { centres };
  return { centres, labels: wardLabels(centroids, clusters) };
}

export const birchFactory = clusteringFactory({
  algorithm: ALGORITHM,
  hyperparams: ['threshold', 'branching_factor', 'n_clusters', 'compute_labels'],
  fit,
});
