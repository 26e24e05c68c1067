/**
 * libsvm's Solver_NU (scikit-learn's fork, sklearn/svm/src/libsvm/svm.cpp): the SMO solver for
 * nu-SVC and nu-SVR, whose extra constraint eᵀα = constant means both variables of a working pair
 * must have the same label. Only the working-set selection, shrinking and rho differ from Solver.
 */
import { cMax, cMin, objectiveDecrease, Solver } from './solver.js';

export class SolverNu extends Solver {
  /** Solver_NU::select_working_set. */
  protected override selectWorkingSet(pair: number[]): number {
    const { G, y, QD, activeSize } = this;
    let Gmaxp = -Infinity;
    let Gmaxp2 = -Infinity;
    let GmaxpIdx = -1;
    let Gmaxn = -Infinity;
    let Gmaxn2 = -Infinity;
    let GmaxnIdx = -1;
    let GminIdx = -1;
    let objDiffMin = Infinity;
    for (let t = 0; t < activeSize; t++) {
      if (y[t] === 1) {
        if (!this.isUpperBound(t) && -G[t]! >= Gmaxp) {
          Gmaxp = -G[t]!;
          GmaxpIdx = t;
        }
      } else if (!this.isLowerBound(t) && G[t]! >= Gmaxn) {
        Gmaxn = G[t]!;
        GmaxnIdx = t;
      }
    }
    const ip = GmaxpIdx;
    const iN = GmaxnIdx;
    const Qip = ip !== -1 ? this.Q.getQ(ip, activeSize) : undefined;
    const Qin = iN !== -1 ? this.Q.getQ(iN, activeSize) : undefined;
    for (let j = 0; j < activeSize; j++) {
      if (y[j] === 1) {
        if (this.isLowerBound(j)) continue;
        const gradDiff = Gmaxp + G[j]!;
        if (G[j]! >= Gmaxp2) Gmaxp2 = G[j]!;
        if (gradDiff > 0) {
          const quadCoef = QD[ip]! + QD[j]! - 2 * Qip![j]!;
          const objDiff = objectiveDecrease(gradDiff, quadCoef);
          if (objDiff <= objDiffMin) {
            GminIdx = j;
            objDiffMin = objDiff;
          }
        }
      } else {
        if (this.isUpperBound(j)) continue;
        const gradDiff = Gmaxn - G[j]!;
        if (-G[j]! >= Gmaxn2) Gmaxn2 = -G[j]!;
        if (gradDiff > 0) {
          const quadCoef = QD[iN]! + QD[j]! - 2 * Qin![j]!;
          const objDiff = objectiveDecrease(gradDiff, quadCoef);
          if (objDiff <= objDiffMin) {
            GminIdx = j;
            objDiffMin = objDiff;
          }
        }
      }
    }
    if (cMax(Gmaxp + Gmaxp2, Gmaxn + Gmaxn2) < this.eps || GminIdx === -1) return 1;
    pair[0] = y[GminIdx] === 1 ? GmaxpIdx : GmaxnIdx;
    pair[1] = GminIdx;
    return 0;
  }

  private beShrunkNu(i: number, Gmax1: number, Gmax2: number, Gmax3: number, Gmax4: number): boolean {
    const g = this.G[i]!;
    if (this.isUpperBound(i)) return this.y[i] === 1 ? -g > Gmax1 : -g > Gmax4;
    if (this.isLowerBound(i)) return this.y[i] === 1 ? g > Gmax2 : g > Gmax3;
    return false;
  }

  /** Solver_NU::do_shrinking. */
  protected override doShrinking(): void {
    const { G, y } = this;
    let Gmax1 = -Infinity; // max { -y_i grad_i | y_i = +1, i in I_up }
    let Gmax2 = -Infinity; // max { y_i grad_i | y_i = +1, i in I_low }
    let Gmax3 = -Infinity; // max { -y_i grad_i | y_i = -1, i in I_up }
    let Gmax4 = -Infinity; // max { y_i grad_i | y_i = -1, i in I_low }
    for (let i = 0; i < this.activeSize; i++) {
      if (!this.isUpperBound(i)) {
        if (y[i] === 1) {
          if (-G[i]! > Gmax1) Gmax1 = -G[i]!;
        } else if (-G[i]! > Gmax4) Gmax4 = -G[i]!;
      }
      if (!this.isLowerBound(i)) {
        if (y[i] === 1) {
          if (G[i]! > Gmax2) Gmax2 = G[i]!;
        } else if (G[i]! > Gmax3) Gmax3 = G[i]!;
      }
    }
    if (!this.unshrink && cMax(Gmax1 + Gmax2, Gmax3 + Gmax4) <= this.eps * 10) {
      this.unshrink = true;
      this.reconstructGradient();
      this.activeSize = this.l;
    }
    this.shrinkWhere((i) => this.beShrunkNu(i, Gmax1, Gmax2, Gmax3, Gmax4));
  }

  /** Solver_NU::calculate_rho: also sets r, the average of the two classes' free gradients. */
  protected override calculateRho(): number {
    let nrFree1 = 0;
    let nrFree2 = 0;
    let ub1 = Infinity;
    let ub2 = Infinity;
    let lb1 = -Infinity;
    let lb2 = -Infinity;
    let sumFree1 = 0;
    let sumFree2 = 0;
    for (let i = 0; i < this.activeSize; i++) {
      const g = this.G[i]!;
      if (this.y[i] === 1) {
        if (this.isUpperBound(i)) lb1 = cMax(lb1, g);
        else if (this.isLowerBound(i)) ub1 = cMin(ub1, g);
        else {
          ++nrFree1;
          sumFree1 += g;
        }
      } else if (this.isUpperBound(i)) lb2 = cMax(lb2, g);
      else if (this.isLowerBound(i)) ub2 = cMin(ub2, g);
      else {
        ++nrFree2;
        sumFree2 += g;
      }
    }
    const r1 = nrFree1 > 0 ? sumFree1 / nrFree1 : (ub1 + lb1) / 2;
    const r2 = nrFree2 > 0 ? sumFree2 / nrFree2 : (ub2 + lb2) / 2;
    this.r = (r1 + r2) / 2;
    return (r1 - r2) / 2;
  }
}
