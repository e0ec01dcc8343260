/**
 * LQR with fitted local models (LQR-FLM; Levine & Abbeel 2014, "Learning Neural Network
 * Policies with Guided Policy Search under Unknown Dynamics", sec. 3; the name from Chebotar
 * et al. 2017). One time-varying linear-Gaussian controller per initial condition; each
 * iteration consumes the samples those controllers produced (it runs no simulator) and:
 *
 *  1. refits the GMM dynamics prior to all recent transitions of all conditions (sec. 3.1);
 *  2. per condition, fits linear-Gaussian dynamics per time step under that prior, and the
 *     quadratic cost model along the samples (next-state costs folded through the fitted
 *     dynamics into the (x_t, u_t) form);
 *  3. adapts the KL step from the last iteration's predicted vs actual improvement (see
 *     step-size.ts), both estimated with the local models ("Laplace" estimates, as the GPS
 *     code does): predicted = E[cost | p_prev, model_prev] - E[cost | p_cur, model_prev],
 *     actual = E[cost | p_prev, model_prev] - E[cost | p_cur, model_cur];
 *  4. solves the KL-constrained LQR problem with epsilon = klStep * T * step_mult (the GPS
 *     convention: klStep is per time step) for the next controller (sec. 3.2).
 */
import { GmmDynamicsPrior, type GmmDynamicsPriorOptions } from './gmm-dynamics-prior.js';
import { fitLinearGaussianDynamics } from './dynamics-fit.js';
import { expectedStepCosts, forwardMarginals } from './forward-marginals.js';
import { klConstrainedUpdate } from './kl-constrained-update.js';
import type { LinearGaussianController } from './linear-gaussian-controller.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import { foldNextStateCost, type QuadraticCost } from './quadratic-cost.js';
import type { QuadraticCostModel } from './quadratic-cost-model.js';
import { nextStepMult, type StepSizeRule } from './step-size.js';
import { checkTrajectory, totalCost, type Trajectory } from './trajectory.js';

export interface LqrFlmOptions {
  stateDim: number;
  actionDim: number;
  /** T: transitions per trajectory. */
  horizon: number;
  /** Number of initial conditions (one controller each). */
  conditions: number;
  /** One controller for all conditions, or one per condition. */
  initialController: LinearGaussianController | readonly LinearGaussianController[];
  /** KL step per time step (nats); the trajectory's trust region is klStep * horizon * step_mult. */
  klStep: number;
  /** Trajectories expected per condition and iteration (at least 1 is required). */
  samplesPerCondition: number;
  seed: number;
  /** The cost model of each condition. */
  cost: (condition: number) => QuadraticCostModel;
  stepSize?: StepSizeRule & { initialStepMult?: number };
  /** GMM prior settings (maxTrajectories is per condition), or false for none (ridge regression). */
  prior?: false | Omit<GmmDynamicsPriorOptions, 'seed'>;
  /** Ridge on the (x, u) block of the dynamics fit; default 1e-6. */
  dynamicsRegularization?: number;
  /** Dual-descent settings; see klConstrainedUpdate. */
  eta?: { initial?: number; min?: number; max?: number; tolerance?: number };
}

export interface ConditionReport {
  condition: number;
  /** Mean total cost of this condition's samples. */
  cost: number;
  kl: number;
  kl_target: number;
  eta: number;
  eta_at_bound: 'lower' | 'upper' | null;
  /** |kl - kl_target| within tolerance. */
  converged: boolean;
  step_mult: number;
  /** Null on the first iteration. */
  predicted_improvement: number | null;
  actual_improvement: number | null;
  /** Expected total cost of the new controller under the new local model. */
  predicted_cost: number;
}

export interface IterationReport {
  /** 0 for the first call: the samples came from the initial controllers. */
  iteration: number;
  /** The next controllers, one per condition. */
  controllers: LinearGaussianController[];
  /** Mean total cost over all samples of all conditions. */
  cost: number;
  /** Means over conditions. */
  kl: number;
  kl_target: number;
  eta: number;
  step_mult: number;
  conditions: ConditionReport[];
}

/** What one condition remembers from its last update, for the step-size rule. */
interface ConditionState {
  controller: LinearGaussianController;
  stepMult: number;
  eta: number;
  previous: {
    controller: LinearGaussianController;
    dynamics: LinearGaussianDynamics;
    cost: QuadraticCost;
  } | null;
}

export class LqrFlm {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly horizon: number;
  readonly conditions: number;
  readonly klStep: number;
  readonly samplesPerCondition: number;
  private readonly options: LqrFlmOptions;
  private readonly prior: GmmDynamicsPrior | null;
  private readonly costModels: QuadraticCostModel[];
  private readonly state: ConditionState[];
  private iterationCount = 0;
  private lastDynamics: LinearGaussianDynamics[] = [];

  constructor(options: LqrFlmOptions) {
    const { stateDim, actionDim, horizon, conditions } = options;
    const positiveInt = (v: number, name: string) => {
      if (!(Number.isInteger(v) && v >= 1))
        throw new RangeError(`LQR-FLM: ${name} must be a positive integer, got ${v}`);
    };
    positiveInt(stateDim, 'stateDim');
    positiveInt(actionDim, 'actionDim');
    positiveInt(horizon, 'horizon');
    positiveInt(conditions, 'conditions');
    positiveInt(options.samplesPerCondition, 'samplesPerCondition');
    if (!(options.klStep > 0 && Number.isFinite(options.klStep)))
      throw new RangeError(`LQR-FLM: klStep must be positive, got ${options.klStep}`);
    const initial = Array.isArray(options.initialController)
      ? (options.initialController as readonly LinearGaussianController[])
      : Array.from({ length: conditions }, () => options.initialController as LinearGaussianController);
    if (initial.length !== conditions)
      throw new RangeError(`LQR-FLM: ${initial.length} initial controllers for ${conditions} conditions`);
    initial.forEach((c, m) => {
      if (c.stateDim !== stateDim || c.actionDim !== actionDim || c.horizon !== horizon)
        throw new RangeError(
          `LQR-FLM: initial controller ${m} is S=${c.stateDim}, A=${c.actionDim}, T=${c.horizon}; expected S=${stateDim}, A=${actionDim}, T=${horizon}`,
        );
    });
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.horizon = horizon;
    this.conditions = conditions;
    this.klStep = options.klStep;
    this.samplesPerCondition = options.samplesPerCondition;
    this.options = options;
    const priorOptions = options.prior === false ? null : (options.prior ?? {});
    this.prior =
      priorOptions === null
        ? null
        : new GmmDynamicsPrior({
            ...priorOptions,
            maxTrajectories: (priorOptions.maxTrajectories ?? 20) * conditions,
            seed: options.seed,
          });
    this.costModels = Array.from({ length: conditions }, (_, m) => options.cost(m));
    this.state = initial.map((controller) => ({
      controller,
      stepMult: options.stepSize?.initialStepMult ?? 1,
      eta: options.eta?.initial ?? 1,
      previous: null,
    }));
  }

  /** The controllers the next samples should come from. */
  get controllers(): LinearGaussianController[] {
    return this.state.map((s) => s.controller);
  }

  /** Iterations done so far. */
  get iterations(): number {
    return this.iterationCount;
  }

  /** The local dynamics fitted in the last iteration, per condition (diagnostics). */
  get fittedDynamics(): readonly LinearGaussianDynamics[] {
    return this.lastDynamics;
  }

  /** One LQR-FLM iteration on samples[condition][sample] drawn from `controllers`. */
  iterate(samples: readonly (readonly Trajectory[])[]): IterationReport {
    if (samples.length !== this.conditions)
      throw new RangeError(`LQR-FLM: samples for ${samples.length} conditions, expected ${this.conditions}`);
    const dims = { stateDim: this.stateDim, actionDim: this.actionDim, horizon: this.horizon };
    samples.forEach((list, m) => {
      if (list.length < 1) throw new RangeError(`LQR-FLM: condition ${m} has no samples`);
      list.forEach((trajectory, i) => checkTrajectory(trajectory, dims, `condition ${m} sample ${i}`));
    });
    this.prior?.update(samples.flat());
    const rule = this.options.stepSize ?? {};
    const T = this.horizon;
    const reports: ConditionReport[] = [];
    this.lastDynamics = [];
    samples.forEach((list, m) => {
      const state = this.state[m];
      const dynamics = fitLinearGaussianDynamics(list, {
        stateDim: this.stateDim,
        actionDim: this.actionDim,
        prior: this.prior,
        regularization: this.options.dynamicsRegularization,
      });
      this.lastDynamics.push(dynamics);
      const cost = foldNextStateCost(this.costModels[m].expand(list), dynamics);
      let predicted: number | null = null;
      let actual: number | null = null;
      if (state.previous !== null) {
        const prev = state.previous;
        const previousEstimate = expectedCost(prev.dynamics, prev.controller, prev.cost);
        predicted = previousEstimate - expectedCost(prev.dynamics, state.controller, prev.cost);
        actual = previousEstimate - expectedCost(dynamics, state.controller, cost);
        state.stepMult = nextStepMult(state.stepMult, predicted, actual, rule);
      }
      const epsilon = this.klStep * T * state.stepMult;
      const update = klConstrainedUpdate({
        dynamics,
        cost,
        previous: state.controller,
        epsilon,
        eta: state.eta,
        minEta: this.options.eta?.min,
        maxEta: this.options.eta?.max,
        tolerance: this.options.eta?.tolerance,
      });
      state.previous = { controller: state.controller, dynamics, cost };
      state.controller = update.controller;
      state.eta = update.eta;
      reports.push({
        condition: m,
        cost: list.reduce((s, trajectory) => s + totalCost(trajectory), 0) / list.length,
        kl: update.kl,
        kl_target: epsilon,
        eta: update.eta,
        eta_at_bound: update.etaAtBound,
        converged: update.converged,
        step_mult: state.stepMult,
        predicted_improvement: predicted,
        actual_improvement: actual,
        predicted_cost: sum(expectedStepCosts(update.marginals, cost)),
      });
    });
    const mean = (f: (r: ConditionReport) => number) =>
      reports.reduce((s, r) => s + f(r), 0) / reports.length;
    const sampleCount = samples.reduce((s, list) => s + list.length, 0);
    const report: IterationReport = {
      iteration: this.iterationCount,
      controllers: this.controllers,
      cost: reports.reduce((s, r, m) => s + r.cost * samples[m].length, 0) / sampleCount,
      kl: mean((r) => r.kl),
      kl_target: mean((r) => r.kl_target),
      eta: mean((r) => r.eta),
      step_mult: mean((r) => r.step_mult),
      conditions: reports,
    };
    this.iterationCount++;
    return report;
  }
}

function expectedCost(
  dynamics: LinearGaussianDynamics,
  controller: LinearGaussianController,
  cost: QuadraticCost,
): number {
  return sum(expectedStepCosts(forwardMarginals(dynamics, controller), cost));
}

function sum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}
