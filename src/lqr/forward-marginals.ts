/**
 * Gaussian state-action marginals p(x_t, u_t) of a linear-Gaussian controller under
 * linear-Gaussian dynamics (Levine & Abbeel 2014, sec. 3.2: the KL divergence and expected
 * cost are evaluated on these). With x_t ~ N(mu_x, S_x) and u = K x + o + N(0, Sigma):
 *   z_t = [x_t; u_t] ~ N([mu_x; K mu_x + o], [[S_x, S_x K^T], [K S_x, K S_x K^T + Sigma]])
 *   x_{t+1} ~ N(F_t mu_z + f_t, F_t S_z F_t^T + noise_t).
 */
import { Matrix, dot } from '../math/dense.js';
import type { LinearGaussianController } from './linear-gaussian-controller.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import type { QuadraticCost } from './quadratic-cost.js';

export interface StateActionMarginals {
  /** Mean of z_t = [x_t; u_t], t = 0 .. T-1. */
  mean: Float64Array[];
  /** Covariance of z_t. */
  covariance: Matrix[];
  /** x_T ~ N(finalMean, finalCovariance). */
  finalMean: Float64Array;
  finalCovariance: Matrix;
}

export function forwardMarginals(
  dynamics: LinearGaussianDynamics,
  controller: LinearGaussianController,
): StateActionMarginals {
  const { stateDim: S, actionDim: A, horizon: T } = dynamics;
  if (controller.horizon !== T || controller.stateDim !== S || controller.actionDim !== A)
    throw new RangeError(
      `controller (S=${controller.stateDim}, A=${controller.actionDim}, T=${controller.horizon}) does not match dynamics (S=${S}, A=${A}, T=${T})`,
    );
  const mean: Float64Array[] = [];
  const covariance: Matrix[] = [];
  let mx: Float64Array = Float64Array.from(dynamics.x0Mean);
  let Sx = dynamics.x0Cov.symmetrize();
  for (let t = 0; t < T; t++) {
    const K = controller.K[t];
    const mu = controller.mean(mx, t);
    const z = new Float64Array(S + A);
    z.set(mx);
    z.set(mu, S);
    const SxKt = Sx.mult(K);
    const Sz = Matrix.zeros(S + A, S + A)
      .setBlock(0, 0, Sx)
      .setBlock(0, S, SxKt)
      .setBlock(S, 0, SxKt.transpose())
      .setBlock(S, S, K.mul(SxKt).add(controller.covariance[t]).symmetrize());
    mean.push(z);
    covariance.push(Sz);
    const F = dynamics.F[t];
    const next = F.mulVec(z);
    for (let i = 0; i < S; i++) next[i] += dynamics.f[t][i];
    mx = next;
    Sx = F.mul(Sz).mult(F).add(dynamics.noise[t]).symmetrize();
  }
  return { mean, covariance, finalMean: mx, finalCovariance: Sx };
}

/**
 * Expected step costs E[l_t(z_t)] = 0.5 tr(C_t S_t) + 0.5 mu_t^T C_t mu_t + c_t^T mu_t + c0_t
 * under the marginals (cost in current-state form); their sum is the expected total cost.
 */
export function expectedStepCosts(marginals: StateActionMarginals, cost: QuadraticCost): Float64Array {
  return Float64Array.from(marginals.mean, (mu, t) => {
    const C = cost.C[t];
    return (
      0.5 * C.frobeniusDot(marginals.covariance[t]) + 0.5 * C.quadForm(mu) + dot(cost.c[t], mu) + cost.c0[t]
    );
  });
}
