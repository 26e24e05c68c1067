/**
 * libsvm's SMO solver as scikit-learn's fork has it (sklearn/svm/src/libsvm/svm.cpp, class `Solver`,
 * after Fan, Chen and Lin, JMLR 2005): second-order working-set selection (WSS3), shrinking with
 * gradient reconstruction, and scikit-learn's max_iter check at the top of the loop (stop there,
 * keep the model, report it as timed out: scikit-learn's ConvergenceWarning). It solves
 *
 *   min 0.5 αᵀQα + pᵀα   subject to  yᵀα = δ,  0 ≤ α_i ≤ C_i.
 *
 * The order of every floating-point operation follows the C++ so the doubles are libsvm's.
 */
import { swap, type QMatrix } from './kernel.js';

const TAU = 1e-12;
export const LOWER_BOUND = 0;
export const UPPER_BOUND = 1;
export const FREE = 2;

/** WSS3's objective decrease for a candidate pair, a non-positive quadratic coefficient replaced by tau. */
export function objectiveDecrease(gradDiff: number, quadCoef: number): number {
  return quadCoef > 0 ? -(gradDiff * gradDiff) / quadCoef : -(gradDiff * gradDiff) / TAU;
}

/** libsvm's min and max templates ((x<y)?x:y), which differ from Math.min/max on signed zeros. */
export const cMin = (x: number, y: number): number => (x < y ? x : y);
export const cMax = (x: number, y: number): number => (x > y ? x : y);

export interface SolutionInfo {
  obj: number;
  rho: number;
  /** Solver_NU's r (the nu formulations divide by it). */
  r: number;
  /** C_i per variable, in the caller's order. */
  upperBound: Float64Array;
  /** Stopped by max_iter before converging. */
  timedOut: boolean;
  iterations: number;
}

/** Solver. Subclassed by SolverNu (nu-svm's extra equality constraint) as in libsvm. */
export class Solver {
  protected activeSize = 0;
  protected l = 0;
  protected y = new Int8Array(0);
  protected G: Float64Array = new Float64Array(0);
  protected alphaStatus = new Uint8Array(0);
  protected alpha = new Float64Array(0);
  protected Q!: QMatrix;
  protected QD: Float64Array = new Float64Array(0);
  protected eps = 0;
  protected C = new Float64Array(0);
  protected p = new Float64Array(0);
  protected activeSet = new Int32Array(0);
  /** Gradient with free variables counted as 0 (for reconstruction after shrinking). */
  protected Gbar = new Float64Array(0);
  protected unshrink = false;
  protected r = 0;

  /** Solver::Solve: alpha (in/out, length l) is the feasible start and receives the solution. */
  solve(
    l: number, Q: QMatrix, p: Float64Array, y: Int8Array, alpha: Float64Array, C: Float64Array,
    eps: number, shrinking: boolean, maxIter: number,
  ): SolutionInfo {
    this.l = l;
    this.Q = Q;
    this.QD = Q.QD;
    this.p = Float64Array.from(p);
    this.y = Int8Array.from(y);
    this.alpha = Float64Array.from(alpha);
    this.C = Float64Array.from(C);
    this.eps = eps;
    this.unshrink = false;
    this.alphaStatus = new Uint8Array(l);
    for (let i = 0; i < l; i++) this.updateAlphaStatus(i);
    this.activeSet = Int32Array.from({ length: l }, (_, i) => i);
    this.activeSize = l;
    this.initGradient();

    let iter = 0;
    let timedOut = false;
    let counter = Math.min(l, 1000) + 1;
    const pair = [0, 0];
    for (;;) {
      if (maxIter !== -1 && iter >= maxIter) {
        timedOut = true;
        break;
      }
      if (--counter === 0) {
        counter = Math.min(l, 1000);
        if (shrinking) this.doShrinking();
      }
      if (this.selectWorkingSet(pair) !== 0) {
        this.reconstructGradient();
        this.activeSize = l;
        if (this.selectWorkingSet(pair) !== 0) break;
        counter = 1; // shrink on the next iteration
      }
      ++iter;
      this.step(pair[0]!, pair[1]!);
    }

    const rho = this.calculateRho();
    let v = 0;
    for (let i = 0; i < l; i++) v += this.alpha[i]! * (this.G[i]! + this.p[i]!);
    for (let i = 0; i < l; i++) alpha[this.activeSet[i]!] = this.alpha[i]!;
    // libsvm leaves the variables in their shrunk order and reports C in that order.
    return { obj: v / 2, rho, r: this.r, upperBound: Float64Array.from(this.C), timedOut, iterations: iter };
  }

  private initGradient(): void {
    const { l, Q } = this;
    this.G = Float64Array.from(this.p);
    this.Gbar = new Float64Array(l);
    for (let i = 0; i < l; i++) {
      if (this.isLowerBound(i)) continue;
      const Qi = Q.getQ(i, l);
      const alphaI = this.alpha[i]!;
      for (let j = 0; j < l; j++) this.G[j] = this.G[j]! + (alphaI * Qi[j]!);
      if (this.isUpperBound(i)) for (let j = 0; j < l; j++) this.Gbar[j] = this.Gbar[j]! + (this.C[i]! * Qi[j]!);
    }
  }

  /** One SMO step on the pair (i, j): the two-variable subproblem, clipped to the box, then G and G_bar. */
  private step(i: number, j: number): void {
    const { Q, QD, alpha, activeSize, l } = this;
    let Qi = Q.getQ(i, activeSize);
    let Qj = Q.getQ(j, activeSize);
    const Ci = this.C[i]!;
    const Cj = this.C[j]!;
    const oldAlphaI = alpha[i]!;
    const oldAlphaJ = alpha[j]!;

    if (this.y[i] !== this.y[j]) {
      let quadCoef = QD[i]! + QD[j]! + 2 * Qi[j]!;
      if (quadCoef <= 0) quadCoef = TAU;
      const delta = (-this.G[i]! - this.G[j]!) / quadCoef;
      const diff = alpha[i]! - alpha[j]!;
      alpha[i] = alpha[i]! + delta;
      alpha[j] = alpha[j]! + delta;
      if (diff > 0) {
        if (alpha[j]! < 0) {
          alpha[j] = 0;
          alpha[i] = diff;
        }
      } else if (alpha[i]! < 0) {
        alpha[i] = 0;
        alpha[j] = -diff;
      }
      if (diff > Ci - Cj) {
        if (alpha[i]! > Ci) {
          alpha[i] = Ci;
          alpha[j] = Ci - diff;
        }
      } else if (alpha[j]! > Cj) {
        alpha[j] = Cj;
        alpha[i] = Cj + diff;
      }
    } else {
      let quadCoef = QD[i]! + QD[j]! - 2 * Qi[j]!;
      if (quadCoef <= 0) quadCoef = TAU;
      const delta = (this.G[i]! - this.G[j]!) / quadCoef;
      const sum = alpha[i]! + alpha[j]!;
      alpha[i] = alpha[i]! - delta;
      alpha[j] = alpha[j]! + delta;
      if (sum > Ci) {
        if (alpha[i]! > Ci) {
          alpha[i] = Ci;
          alpha[j] = sum - Ci;
        }
      } else if (alpha[j]! < 0) {
        alpha[j] = 0;
        alpha[i] = sum;
      }
      if (sum > Cj) {
        if (alpha[j]! > Cj) {
          alpha[j] = Cj;
          alpha[i] = sum - Cj;
        }
      } else if (alpha[i]! < 0) {
        alpha[i] = 0;
        alpha[j] = sum;
      }
    }

    const deltaI = alpha[i]! - oldAlphaI;
    const deltaJ = alpha[j]! - oldAlphaJ;
    const G = this.G;
    for (let k = 0; k < activeSize; k++) G[k] = G[k]! + (Qi[k]! * deltaI + Qj[k]! * deltaJ);

    const ui = this.isUpperBound(i);
    const uj = this.isUpperBound(j);
    this.updateAlphaStatus(i);
    this.updateAlphaStatus(j);
    const Gbar = this.Gbar;
    if (ui !== this.isUpperBound(i)) {
      Qi = Q.getQ(i, l);
      if (ui) for (let k = 0; k < l; k++) Gbar[k] = Gbar[k]! - (Ci * Qi[k]!);
      else for (let k = 0; k < l; k++) Gbar[k] = Gbar[k]! + (Ci * Qi[k]!);
    }
    if (uj !== this.isUpperBound(j)) {
      Qj = Q.getQ(j, l);
      if (uj) for (let k = 0; k < l; k++) Gbar[k] = Gbar[k]! - (Cj * Qj[k]!);
      else for (let k = 0; k < l; k++) Gbar[k] = Gbar[k]! + (Cj * Qj[k]!);
    }
  }

  protected updateAlphaStatus(i: number): void {
    const a = this.alpha[i]!;
    this.alphaStatus[i] = a >= this.C[i]! ? UPPER_BOUND : a <= 0 ? LOWER_BOUND : FREE;
  }

  protected isUpperBound(i: number): boolean {
    return this.alphaStatus[i] === UPPER_BOUND;
  }

  protected isLowerBound(i: number): boolean {
    return this.alphaStatus[i] === LOWER_BOUND;
  }

  protected isFree(i: number): boolean {
    return this.alphaStatus[i] === FREE;
  }

  /** Solver::swap_index. */
  protected swapIndex(i: number, j: number): void {
    this.Q.swapIndex(i, j);
    swap(this.y, i, j);
    swap(this.G, i, j);
    swap(this.alphaStatus, i, j);
    swap(this.alpha, i, j);
    swap(this.p, i, j);
    swap(this.activeSet, i, j);
    swap(this.Gbar, i, j);
    swap(this.C, i, j);
  }

  /** Solver::reconstruct_gradient: the gradient of the shrunk variables, from G_bar and the free ones. */
  protected reconstructGradient(): void {
    const { activeSize, l, G, Gbar, p, alpha } = this;
    if (activeSize === l) return;
    for (let j = activeSize; j < l; j++) G[j] = Gbar[j]! + p[j]!;
    let nrFree = 0;
    for (let j = 0; j < activeSize; j++) if (this.isFree(j)) nrFree++;
    if (nrFree * l > 2 * activeSize * (l - activeSize)) {
      for (let i = activeSize; i < l; i++) {
        const Qi = this.Q.getQ(i, activeSize);
        for (let j = 0; j < activeSize; j++) if (this.isFree(j)) G[i] = G[i]! + (alpha[j]! * Qi[j]!);
      }
    } else {
      for (let i = 0; i < activeSize; i++) {
        if (!this.isFree(i)) continue;
        const Qi = this.Q.getQ(i, l);
        const alphaI = alpha[i]!;
        for (let j = activeSize; j < l; j++) G[j] = G[j]! + (alphaI * Qi[j]!);
      }
    }
  }

  /** Solver::select_working_set (WSS3): writes (i, j) into pair; returns 1 when already optimal. */
  protected selectWorkingSet(pair: number[]): number {
    const { G, y, QD, activeSize } = this;
    let Gmax = -Infinity;
    let Gmax2 = -Infinity;
    let GmaxIdx = -1;
    let GminIdx = -1;
    let objDiffMin = Infinity;
    for (let t = 0; t < activeSize; t++) {
      if (y[t] === 1) {
        if (!this.isUpperBound(t) && -G[t]! >= Gmax) {
          Gmax = -G[t]!;
          GmaxIdx = t;
        }
      } else if (!this.isLowerBound(t) && G[t]! >= Gmax) {
        Gmax = G[t]!;
        GmaxIdx = t;
      }
    }
    const i = GmaxIdx;
    const Qi = i !== -1 ? this.Q.getQ(i, activeSize) : undefined;
    for (let j = 0; j < activeSize; j++) {
      if (y[j] === 1) {
        if (this.isLowerBound(j)) continue;
        const gradDiff = Gmax + G[j]!;
        if (G[j]! >= Gmax2) Gmax2 = G[j]!;
        if (gradDiff > 0) {
          const quadCoef = QD[i]! + QD[j]! - 2.0 * y[i]! * Qi![j]!;
          const objDiff = objectiveDecrease(gradDiff, quadCoef);
          if (objDiff <= objDiffMin) {
            GminIdx = j;
            objDiffMin = objDiff;
          }
        }
      } else {
        if (this.isUpperBound(j)) continue;
        const gradDiff = Gmax - G[j]!;
        if (-G[j]! >= Gmax2) Gmax2 = -G[j]!;
        if (gradDiff > 0) {
          const quadCoef = QD[i]! + QD[j]! + 2.0 * y[i]! * Qi![j]!;
          const objDiff = objectiveDecrease(gradDiff, quadCoef);
          if (objDiff <= objDiffMin) {
            GminIdx = j;
            objDiffMin = objDiff;
          }
        }
      }
    }
    if (Gmax + Gmax2 < this.eps || GminIdx === -1) return 1;
    pair[0] = GmaxIdx;
    pair[1] = GminIdx;
    return 0;
  }

  private beShrunk(i: number, Gmax1: number, Gmax2: number): boolean {
    const g = this.G[i]!;
    if (this.isUpperBound(i)) return this.y[i] === 1 ? -g > Gmax1 : -g > Gmax2;
    if (this.isLowerBound(i)) return this.y[i] === 1 ? g > Gmax2 : g > Gmax1;
    return false;
  }

  /** Solver::do_shrinking. */
  protected doShrinking(): void {
    const { G, y } = this;
    let Gmax1 = -Infinity; // max { -y_i grad_i | i in I_up }
    let Gmax2 = -Infinity; // max { y_i grad_i | i in I_low }
    for (let i = 0; i < this.activeSize; i++) {
      if (y[i] === 1) {
        if (!this.isUpperBound(i) && -G[i]! >= Gmax1) Gmax1 = -G[i]!;
        if (!this.isLowerBound(i) && G[i]! >= Gmax2) Gmax2 = G[i]!;
      } else {
        if (!this.isUpperBound(i) && -G[i]! >= Gmax2) Gmax2 = -G[i]!;
        if (!this.isLowerBound(i) && G[i]! >= Gmax1) Gmax1 = G[i]!;
      }
    }
    if (!this.unshrink && Gmax1 + Gmax2 <= this.eps * 10) {
      this.unshrink = true;
      this.reconstructGradient();
      this.activeSize = this.l;
    }
    this.shrinkWhere((i) => this.beShrunk(i, Gmax1, Gmax2));
  }

  /** do_shrinking's compaction: shrinkable variables move behind active_size, others take their place. */
  protected shrinkWhere(shrinkable: (i: number) => boolean): void {
    for (let i = 0; i < this.activeSize; i++) {
      if (!shrinkable(i)) continue;
      this.activeSize--;
      while (this.activeSize > i) {
        if (!shrinkable(this.activeSize)) {
          this.swapIndex(i, this.activeSize);
          break;
        }
        this.activeSize--;
      }
    }
  }

  /** Solver::calculate_rho. */
  protected calculateRho(): number {
    let nrFree = 0;
    let ub = Infinity;
    let lb = -Infinity;
    let sumFree = 0;
    for (let i = 0; i < this.activeSize; i++) {
      const yG = this.y[i]! * this.G[i]!;
      if (this.isUpperBound(i)) {
        if (this.y[i] === -1) ub = cMin(ub, yG);
        else lb = cMax(lb, yG);
      } else if (this.isLowerBound(i)) {
        if (this.y[i] === 1) ub = cMin(ub, yG);
        else lb = cMax(lb, yG);
      } else {
        ++nrFree;
        sumFree += yG;
      }
    }
    return nrFree > 0 ? sumFree / nrFree : (ub + lb) / 2;
  }
}
