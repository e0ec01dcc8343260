/**
 * KL(p || q) between the trajectory distributions of two linear-Gaussian controllers under
 * the same dynamics and initial state: the dynamics terms cancel, leaving
 *   sum_t E_{x_t ~ p} KL(p(u_t | x_t) || q(u_t | x_t))
 * (Levine & Abbeel 2014, sec. 3.2). With p(u|x) = N(K_p x + o_p, S_p), q likewise, P = S_q^{-1},
 * dK = K_p - K_q, d = dK mu_x + (o_p - o_q), each term is in closed form:
 *   0.5 [tr(P S_p) + d^T P d + tr(dK^T P dK S_x) - A + log det S_q - log det S_p].
 */
import type { LinearGaussianController } from './linear-gaussian-controller.js';
import type { StateActionMarginals } from './forward-marginals.js';

/** Per-step KL divergences (each clamped at 0 against round-off); `marginals` are p's. */
export function stepKlDivergences(
  marginals: StateActionMarginals,
  p: LinearGaussianController,
  q: LinearGaussianController,
): Float64Array {
  const S = p.stateDim;
  const A = p.actionDim;
  if (q.stateDim !== S || q.actionDim !== A || q.horizon !== p.horizon)
    throw new RangeError('KL between controllers of different shapes');
  return Float64Array.from(marginals.mean, (z, t) => {
    const P = q.precision[t];
    const dK = p.K[t].sub(q.K[t]);
    const mx = z.subarray(0, S);
    const d = dK.mulVec(mx);
    const op = p.offset(t);
    const oq = q.offset(t);
    for (let i = 0; i < A; i++) d[i] += op[i] - oq[i];
    const Sx = marginals.covariance[t].block(0, 0, S, S);
    const kl =
      0.5 *
      (P.frobeniusDot(p.covariance[t]) +
        P.quadForm(d) +
        dK.tmul(P.mul(dK)).frobeniusDot(Sx) -
        A +
        q.logDetCovariance[t] -
        p.logDetCovariance[t]);
    return Math.max(0, kl);
  });
}

/** Total trajectory KL(p || q). */
export function trajectoryKl(
  marginals: StateActionMarginals,
  p: LinearGaussianController,
  q: LinearGaussianController,
): number {
  return stepKlDivergences(marginals, p, q).reduce((a, b) => a + b, 0);
}
