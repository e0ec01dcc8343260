/**
 * The LQR backward recursion for time-varying linear dynamics x_{t+1} = F_t z_t + f_t
 * (z_t = [x_t; u_t]) and quadratic costs l_t(z) = 0.5 z^T C_t z + c_t^T z (Levine's CS 285
 * lecture 10 "The LQR algorithm"; Tassa et al. 2012 eqs. 5-6), in absolute coordinates:
 *   Q_t = C_t + F_t^T V_{t+1} F_t,        q_t = c_t + F_t^T (V_{t+1} f_t + v_{t+1})
 *   K_t = -Q_uu^{-1} Q_ux,                 k_t = -Q_uu^{-1} q_u
 *   V_t = Q_xx + Q_xu K_t,                 v_t = q_x + Q_xu k_t,     V_T = 0, v_T = 0.
 * The same recursion gives the maximum-entropy solution p(u|x) = N(K x + k, Q_uu^{-1}) of
 * the KL-augmented problem (Levine & Abbeel 2014, sec. 3.2), so Q_uu is returned with its
 * Cholesky factor. A Q_uu that is not positive definite stops the recursion and is reported
 * (with the step), never turned into NaN gains.
 */
import { Cholesky } from '../math/cholesky.js';
import { Matrix } from '../math/dense.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import type { QuadraticCost } from './quadratic-cost.js';

export interface LqrBackwardOptions {
  /** Only F, f and the dimensions are used (the noise does not change the gains). */
  dynamics: Pick<LinearGaussianDynamics, 'stateDim' | 'actionDim' | 'horizon' | 'F' | 'f'>;
  /** Current-state form (see foldNextStateCost). */
  cost: QuadraticCost;
  /** Added to the diagonal of Q_uu (iLQR's Levenberg-Marquardt regularisation); default 0. */
  regularization?: number;
}

export interface LqrSolution {
  ok: true;
  K: Matrix[];
  k: Float64Array[];
  /** Q_uu per step (regularisation included) and its Cholesky factor. */
  Quu: Matrix[];
  QuuCholesky: Cholesky[];
  /** Value function V_t(x) = 0.5 x^T Vxx_t x + vx_t^T x + const, t = 0 .. T-1. */
  Vxx: Matrix[];
  vx: Float64Array[];
}

export interface LqrFailure {
  ok: false;
  /** The step whose Q_uu was not positive definite. */
  failedStep: number;
}

export function lqrBackward(options: LqrBackwardOptions): LqrSolution | LqrFailure {
  const { dynamics, cost } = options;
  const { stateDim: S, actionDim: A, horizon: T } = dynamics;
  const reg = options.regularization ?? 0;
  if (cost.C.length !== T) throw new RangeError(`LQR: cost has ${cost.C.length} steps, dynamics ${T}`);
  const K: Matrix[] = new Array(T);
  const k: Float64Array[] = new Array(T);
  const Quu: Matrix[] = new Array(T);
  const QuuCholesky: Cholesky[] = new Array(T);
  const Vxx: Matrix[] = new Array(T);
  const vx: Float64Array[] = new Array(T);
  let V = Matrix.zeros(S, S);
  let v = new Float64Array(S);
  for (let t = T - 1; t >= 0; t--) {
    const F = dynamics.F[t];
    const f = dynamics.f[t];
    const Q = cost.C[t].add(F.tmul(V.mul(F))).symmetrize();
    const Vf = V.mulVec(f);
    const q = F.tmulVec(Vf.map((x, i) => x + v[i]));
    for (let i = 0; i < S + A; i++) q[i] += cost.c[t][i];
    const quu = Q.block(S, S, A, A).addDiagonalInPlace(reg);
    const chol = Cholesky.factor(quu);
    if (!chol) return { ok: false, failedStep: t };
    const Qux = Q.block(S, 0, A, S);
    const qu = q.subarray(S);
    const Kt = chol.solve(Qux).scale(-1);
    const kt = chol.solveVec(qu).map((x) => -x);
    const Qxu = Q.block(0, S, S, A);
    V = Q.block(0, 0, S, S).add(Qxu.mul(Kt)).symmetrize();
    const Qxuk = Qxu.mulVec(kt);
    v = Float64Array.from(q.subarray(0, S), (x, i) => x + Qxuk[i]);
    K[t] = Kt;
    k[t] = kt;
    Quu[t] = quu;
    QuuCholesky[t] = chol;
    Vxx[t] = V;
    vx[t] = v;
  }
  return { ok: true, K, k, Quu, QuuCholesky, Vxx, vx };
}
