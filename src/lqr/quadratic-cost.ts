/**
 * Time-varying quadratic costs l_t(z) = 0.5 z^T C_t z + c_t^T z + c0_t in absolute
 * coordinates, and the change of variables from the tasks' next-state form to the
 * current-state form the LQR recursion uses.
 *
 * The tasks' cost is c(x_{t+1}, u_t): the cost of arriving. A cost model therefore expands it
 * in w_t = [x_{t+1}; u_t]. Under the local dynamics x_{t+1} = F_t z_t + f_t + noise with
 * z_t = [x_t; u_t], w_t = M_t z_t + m_t (+ noise) with M_t = [F_t; 0 I], m_t = [f_t; 0], so
 * the expected step cost is quadratic in z_t again:
 *   C'_t = M^T H M,  c'_t = M^T (H m + g),  c0'_t = 0.5 m^T H m + g^T m + h + 0.5 tr(H_xx noise_t)
 * (the trace term is the expected curvature cost of the dynamics noise). That is exact for
 * the local model and keeps the LQR recursion in its textbook form (Tassa et al. 2012 eq. 5).
 */
import { Matrix, dot } from '../math/dense.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';

export interface QuadraticCost {
  /** C_t, symmetric, n x n. */
  readonly C: readonly Matrix[];
  /** c_t, length n. */
  readonly c: readonly Float64Array[];
  /** Constant terms c0_t. */
  readonly c0: Float64Array;
}

/** Next-state-form costs (z = [x_{t+1}; u_t]) in current-state form (z = [x_t; u_t]). */
export function foldNextStateCost(next: QuadraticCost, dynamics: LinearGaussianDynamics): QuadraticCost {
  const { stateDim: S, actionDim: A, horizon: T } = dynamics;
  const n = S + A;
  if (next.C.length !== T || next.c.length !== T || next.c0.length !== T)
    throw new RangeError(`cost has ${next.C.length} steps, dynamics ${T}`);
  const C: Matrix[] = [];
  const c: Float64Array[] = [];
  const c0 = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const H = next.C[t];
    const g = next.c[t];
    if (H.rows !== n || H.cols !== n || g.length !== n)
      throw new RangeError(
        `cost step ${t}: expected ${n}x${n} Hessian and ${n}-vector, got ${H.shape} and ${g.length}`,
      );
    const M = Matrix.zeros(n, n).setBlock(0, 0, dynamics.F[t]).setBlock(S, S, Matrix.identity(A));
    const m = new Float64Array(n);
    m.set(dynamics.f[t]);
    const Hm = H.mulVec(m);
    C.push(M.tmul(H.mul(M)).symmetrize());
    const lin = new Float64Array(n);
    for (let i = 0; i < n; i++) lin[i] = Hm[i] + g[i];
    c.push(M.tmulVec(lin));
    c0[t] =
      0.5 * dot(m, Hm) + dot(g, m) + next.c0[t] + 0.5 * H.block(0, 0, S, S).frobeniusDot(dynamics.noise[t]);
  }
  return { C, c, c0 };
}

/** Averages of several quadratic costs with the same shape (e.g. one per sample). */
export function averageCosts(costs: readonly QuadraticCost[]): QuadraticCost {
  if (costs.length === 0) throw new RangeError('cannot average zero costs');
  const T = costs[0].C.length;
  const w = 1 / costs.length;
  const C = costs[0].C.map((m) => Matrix.zeros(m.rows, m.cols));
  const c = costs[0].c.map((v) => new Float64Array(v.length));
  const c0 = new Float64Array(T);
  for (const q of costs) {
    for (let t = 0; t < T; t++) {
      C[t].addInPlace(q.C[t], w);
      for (let i = 0; i < c[t].length; i++) c[t][i] += w * q.c[t][i];
      c0[t] += w * q.c0[t];
    }
  }
  return { C, c, c0 };
}
