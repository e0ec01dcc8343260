/**
 * The KL-constrained trajectory update of LQR-FLM (Levine & Abbeel 2014, sec. 3.2):
 *   min_p E_p[sum_t l(x_t, u_t)]   s.t.   KL(p(tau) || p_old(tau)) <= epsilon.
 * Its Lagrangian is minimised, for a fixed dual variable eta, by the maximum-entropy LQR
 * solution for the surrogate cost
 *   l~(x, u) = l(x, u) / eta - log p_old(u | x),
 * i.e. p(u|x) = N(K x + k, Q~_uu^{-1}) from the backward pass on l~ (the GPS code's
 * `compute_costs` with max_ent_traj = 0). -log p_old(u|x) = 0.5 (u - K' x - o')^T P (u - K' x - o')
 * + const adds [[K'^T P K', -K'^T P], [-P K', P]] to the Hessian and [K'^T P o'; -P o'] to the
 * gradient.
 *
 * Dual descent on eta: the trajectory KL (from the forward-propagated state marginals,
 * closed form per step) decreases as eta grows (eta -> infinity gives p = p_old), so eta is
 * bracketed by factors of 10 in log space from the warm start and then bisected
 * geometrically until |KL - epsilon| <= tolerance * epsilon. A Q~_uu that is not positive
 * definite counts as "eta too small" (the cost term dominates with negative curvature), so
 * eta is raised instead of producing NaN gains. When even eta = minEta stays inside the
 * trust region the unconstrained solution is taken and `etaAtBound` = 'lower'; when no eta up
 * to maxEta gives a positive-definite Q~_uu the old controller is kept and `etaAtBound` =
 * 'upper'.
 */
import { Matrix } from '../math/dense.js';
import type { StateActionMarginals } from './forward-marginals.js';
import { forwardMarginals } from './forward-marginals.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import { lqrBackward } from './lqr-backward.js';
import type { QuadraticCost } from './quadratic-cost.js';
import { trajectoryKl } from './trajectory-kl.js';

export interface KlUpdateOptions {
  dynamics: LinearGaussianDynamics;
  /** Current-state form (z = [x_t; u_t]). */
  cost: QuadraticCost;
  previous: LinearGaussianController;
  /** Trust region on the whole trajectory's KL divergence (nats). */
  epsilon: number;
  /** Warm start for eta; default 1. */
  eta?: number;
  /** Default 1e-8 (GPS `min_eta`). */
  minEta?: number;
  /** Default 1e16 (GPS `max_eta`). */
  maxEta?: number;
  /** Accept |KL - epsilon| <= tolerance * epsilon; default 0.1 (GPS's 10%). */
  tolerance?: number;
  /** Backward passes at most; default 100. */
  maxEvaluations?: number;
}

export interface KlUpdateResult {
  controller: LinearGaussianController;
  /** Forward marginals of `controller` under the dynamics. */
  marginals: StateActionMarginals;
  eta: number;
  /** KL(p_new || p_old) of the returned controller. */
  kl: number;
  epsilon: number;
  /** |kl - epsilon| <= tolerance * epsilon. */
  converged: boolean;
  /** 'lower': the constraint is inactive even at minEta; 'upper': no PD solution below maxEta. */
  etaAtBound: 'lower' | 'upper' | null;
  /** Backward passes run. */
  evaluations: number;
  /** Of those, how many failed because Q~_uu was not positive definite. */
  nonPdFailures: number;
}

interface Evaluation {
  eta: number;
  controller: LinearGaussianController;
  marginals: StateActionMarginals;
  kl: number;
}

/** l / eta - log p_old(u|x) in current-state form (constant terms dropped). */
export function klAugmentedCost(
  cost: QuadraticCost,
  previous: LinearGaussianController,
  eta: number,
): QuadraticCost {
  const S = previous.stateDim;
  const A = previous.actionDim;
  const C: Matrix[] = [];
  const c: Float64Array[] = [];
  for (let t = 0; t < cost.C.length; t++) {
    const P = previous.precision[t];
    const K = previous.K[t];
    const o = previous.offset(t);
    const PK = P.mul(K);
    const Po = P.mulVec(o);
    const H = cost.C[t].scale(1 / eta).addInPlace(
      Matrix.zeros(S + A, S + A)
        .setBlock(0, 0, K.tmul(PK))
        .setBlock(0, S, PK.transpose().scale(-1))
        .setBlock(S, 0, PK.scale(-1))
        .setBlock(S, S, P),
    );
    C.push(H.symmetrize());
    const KtPo = K.tmulVec(Po);
    const g = cost.c[t].map((v) => v / eta);
    for (let i = 0; i < S; i++) g[i] += KtPo[i];
    for (let i = 0; i < A; i++) g[S + i] -= Po[i];
    c.push(g);
  }
  return { C, c, c0: new Float64Array(cost.C.length) };
}

export function klConstrainedUpdate(options: KlUpdateOptions): KlUpdateResult {
  const { dynamics, cost, previous, epsilon } = options;
  const minEta = options.minEta ?? 1e-8;
  const maxEta = options.maxEta ?? 1e16;
  const tolerance = options.tolerance ?? 0.1;
  const maxEvaluations = options.maxEvaluations ?? 100;
  if (!(epsilon > 0 && Number.isFinite(epsilon)))
    throw new RangeError(`KL step epsilon must be positive, got ${epsilon}`);
  if (!(minEta > 0 && minEta < maxEta))
    throw new RangeError(`eta bounds must satisfy 0 < minEta < maxEta, got ${minEta}, ${maxEta}`);
  let evaluations = 0;
  let nonPdFailures = 0;

  const evaluate = (eta: number): Evaluation | null => {
    evaluations++;
    const solution = lqrBackward({ dynamics, cost: klAugmentedCost(cost, previous, eta) });
    if (!solution.ok) {
      nonPdFailures++;
      return null;
    }
    const controller = new LinearGaussianController({
      K: solution.K,
      k: solution.k,
      covariance: solution.QuuCholesky.map((chol) => chol.inverse()),
    });
    const marginals = forwardMarginals(dynamics, controller);
    return { eta, controller, marginals, kl: trajectoryKl(marginals, controller, previous) };
  };
  const inside = (e: Evaluation | null): e is Evaluation => e !== null && e.kl <= epsilon;
  const done = (e: Evaluation, etaAtBound: KlUpdateResult['etaAtBound']): KlUpdateResult => ({
    controller: e.controller,
    marginals: e.marginals,
    eta: e.eta,
    kl: e.kl,
    epsilon,
    converged: Math.abs(e.kl - epsilon) <= tolerance * epsilon,
    etaAtBound,
    evaluations,
    nonPdFailures,
  });
  const withinTolerance = (e: Evaluation | null): e is Evaluation =>
    e !== null && Math.abs(e.kl - epsilon) <= tolerance * epsilon;

  let eta = Math.min(maxEta, Math.max(minEta, options.eta ?? 1));
  let current = evaluate(eta);
  if (withinTolerance(current)) return done(current, null);
  // Bracket [lo, hi]: at lo the step is too large (or not PD), at hi it is inside the region.
  let lo: number;
  let hi: number;
  let feasible: Evaluation;
  if (!inside(current)) {
    lo = eta;
    for (;;) {
      if (eta >= maxEta) {
        // Not even the (almost) unchanged controller is reachable: keep the old one.
        if (current !== null) return done(current, 'upper');
        const marginals = forwardMarginals(dynamics, previous);
        return {
          ...done({ eta: maxEta, controller: previous, marginals, kl: 0 }, 'upper'),
          converged: false,
        };
      }
      eta = Math.min(maxEta, eta * 10);
      current = evaluate(eta);
      if (withinTolerance(current)) return done(current, null);
      if (inside(current)) {
        feasible = current;
        break;
      }
      lo = eta;
    }
    hi = eta;
  } else {
    hi = eta;
    feasible = current;
    for (;;) {
      if (eta <= minEta) return done(feasible, 'lower');
      eta = Math.max(minEta, eta / 10);
      current = evaluate(eta);
      if (withinTolerance(current)) return done(current, null);
      if (!inside(current)) break;
      hi = eta;
      feasible = current;
    }
    lo = eta;
  }
  // Geometric bisection: KL changes over orders of magnitude of eta.
  while (evaluations < maxEvaluations && hi / lo > 1 + 1e-9) {
    const mid = Math.sqrt(lo * hi);
    current = evaluate(mid);
    if (withinTolerance(current)) return done(current, null);
    if (inside(current)) {
      hi = mid;
      feasible = current;
    } else lo = mid;
  }
  // Out of budget: the last solution inside the trust region (KL < epsilon).
  return done(feasible, null);
}
