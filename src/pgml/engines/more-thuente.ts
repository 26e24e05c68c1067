/**
 * The Moré–Thuente line search, MINPACK-2's dcsrch and dcstep as L-BFGS-B carries them (scipy's
 * _dcsrch.py is the same code): a step satisfying the strong Wolfe conditions
 * f(stp) ≤ f(0) + ftol·stp·f'(0) and |f'(stp)| ≤ gtol·|f'(0)|, found by safeguarded cubic and quadratic
 * interpolation inside an interval that brackets it. Written as a reverse-communication state machine,
 * like the original: the caller evaluates f and f' at each step it is asked for, so the line search
 * holds no objective and allocates nothing.
 */

export type SearchTask = 'FG' | 'CONVERGENCE' | 'WARNING' | 'ERROR';

const P5 = 0.5;
const P66 = 0.66;
const XTRAPL = 1.1;
const XTRAPU = 4.0;

export class MoreThuenteSearch {
  private brackt = false;
  private stage = 1;
  private ginit = 0;
  private gtest = 0;
  private finit = 0;
  private fx = 0;
  private gx = 0;
  private fy = 0;
  private gy = 0;
  private stx = 0;
  private sty = 0;
  private stmin = 0;
  private stmax = 0;
  private width = 0;
  private width1 = 0;
  /** The step to evaluate next (task 'FG'), or the accepted one. */
  stp = 0;

  constructor(
    private readonly ftol: number,
    private readonly gtol: number,
    private readonly xtol: number,
    private readonly stpmin: number,
    private readonly stpmax: number,
  ) {}

  /** dcsrch with task 'START': f and g at step 0, and the first trial step. */
  start(f: number, g: number, stp: number): SearchTask {
    this.stp = stp;
    if (stp < this.stpmin || stp > this.stpmax || g >= 0) return 'ERROR';
    this.brackt = false;
    this.stage = 1;
    this.finit = f;
    this.ginit = g;
    this.gtest = this.ftol * g;
    this.width = this.stpmax - this.stpmin;
    this.width1 = this.width / P5;
    this.stx = 0;
    this.fx = f;
    this.gx = g;
    this.sty = 0;
    this.fy = f;
    this.gy = g;
    this.stmin = 0;
    this.stmax = stp + XTRAPU * stp;
    return 'FG';
  }

  /** dcsrch after an evaluation: f and g (the directional derivative) at `this.stp`. */
  next(f: number, g: number): SearchTask {
    let stp = this.stp;
    const ftest = this.finit + stp * this.gtest;
    if (this.stage === 1 && f <= ftest && g >= 0) this.stage = 2;

    let task: SearchTask | undefined;
    if (this.brackt && (stp <= this.stmin || stp >= this.stmax)) task = 'WARNING'; // rounding errors prevent progress
    if (this.brackt && this.stmax - this.stmin <= this.xtol * this.stmax) task = 'WARNING'; // xtol test satisfied
    if (stp === this.stpmax && f <= ftest && g <= this.gtest) task = 'WARNING'; // stp = stpmax
    if (stp === this.stpmin && (f > ftest || g >= this.gtest)) task = 'WARNING'; // stp = stpmin
    if (f <= ftest && Math.abs(g) <= this.gtol * -this.ginit) task = 'CONVERGENCE';
    if (task) return task;

    if (this.stage === 1 && f <= this.fx && f > ftest) {
      // The modified function ψ(stp) = f(stp) − f(0) − ftol·stp·f'(0) until a step has ψ ≤ 0 and f' ≥ 0.
      const step = dcstep(
        this.stx, this.fx - this.stx * this.gtest, this.gx - this.gtest,
        this.sty, this.fy - this.sty * this.gtest, this.gy - this.gtest,
        stp, f - stp * this.gtest, g - this.gtest, this.brackt, this.stmin, this.stmax,
      );
      this.stx = step.stx;
      this.sty = step.sty;
      this.fx = step.fx + this.stx * this.gtest;
      this.fy = step.fy + this.sty * this.gtest;
      this.gx = step.dx + this.gtest;
      this.gy = step.dy + this.gtest;
      this.brackt = step.brackt;
      stp = step.stp;
    } else {
      const step = dcstep(this.stx, this.fx, this.gx, this.sty, this.fy, this.gy, stp, f, g, this.brackt, this.stmin, this.stmax);
      this.stx = step.stx;
      this.sty = step.sty;
      this.fx = step.fx;
      this.fy = step.fy;
      this.gx = step.dx;
      this.gy = step.dy;
      this.brackt = step.brackt;
      stp = step.stp;
    }

    // A bisection when the interval does not shrink fast enough.
    if (this.brackt) {
      if (Math.abs(this.sty - this.stx) >= P66 * this.width1) stp = this.stx + P5 * (this.sty - this.stx);
      this.width1 = this.width;
      this.width = Math.abs(this.sty - this.stx);
    }
    if (this.brackt) {
      this.stmin = Math.min(this.stx, this.sty);
      this.stmax = Math.max(this.stx, this.sty);
    } else {
      this.stmin = stp + XTRAPL * (stp - this.stx);
      this.stmax = stp + XTRAPU * (stp - this.stx);
    }
    stp = Math.min(Math.max(stp, this.stpmin), this.stpmax);
    // No further progress possible: the best step so far.
    if ((this.brackt && (stp <= this.stmin || stp >= this.stmax)) || (this.brackt && this.stmax - this.stmin <= this.xtol * this.stmax)) {
      stp = this.stx;
    }
    this.stp = stp;
    return 'FG';
  }
}

interface StepUpdate {
  stx: number;
  fx: number;
  dx: number;
  sty: number;
  fy: number;
  dy: number;
  stp: number;
  brackt: boolean;
}

/** MINPACK-2's dcstep: a safeguarded trial step and the updated interval [stx, sty]. */
function dcstep(
  stx: number, fx: number, dx: number, sty: number, fy: number, dy: number,
  stp: number, fp: number, dp: number, brackt: boolean, stpmin: number, stpmax: number,
): StepUpdate {
  const sgnd = Math.sign(dp) * Math.sign(dx);
  let stpf: number;
  if (fp > fx) {
    // Higher function value: the minimum is bracketed; cubic or a cubic–quadratic mean.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp < stx) gamma = -gamma;
    const p = gamma - dx + theta;
    const q = gamma - dx + gamma + dp;
    const r = p / q;
    const stpc = stx + r * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) <= Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    brackt = true;
  } else if (sgnd < 0) {
    // Derivatives of opposite sign: bracketed; cubic or secant, whichever is farther from stp.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dx;
    const r = p / q;
    const stpc = stp + r * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    // Same sign, derivative decreasing in magnitude.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt(Math.max(0, (theta / s) ** 2 - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma + (dx - dp) + gamma;
    const r = p / q;
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else if (stp > stx) stpc = stpmax;
    else stpc = stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      stpf = stp > stx ? Math.min(stp + P66 * (sty - stp), stpf) : Math.max(stp + P66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.min(Math.max(stpf, stpmin), stpmax);
    }
  } else if (brackt) {
    // Same sign, derivative not decreasing: cubic step toward sty.
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dy), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dy / s) * (dp / s));
    if (stp > sty) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dy;
    const r = p / q;
    stpf = stp + r * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }

  if (fp > fx) {
    sty = stp;
    fy = fp;
    dy = dp;
  } else {
    if (sgnd < 0) {
      sty = stx;
      fy = fx;
      dy = dx;
    }
    stx = stp;
    fx = fp;
    dx = dp;
  }
  return { stx, fx, dx, sty, fy, dy, stp: stpf, brackt };
}
