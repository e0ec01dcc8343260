// Public surface of LQR-FLM: controllers, the algorithm object, cost models and the LQR pieces.
export type { Trajectory } from './trajectory.js';
export type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
export type { QuadraticCost } from './quadratic-cost.js';
export type { QuadraticCostModel } from './quadratic-cost-model.js';
export type {
  LinearGaussianControllerJson,
  LinearGaussianControllerOptions,
} from './linear-gaussian-controller.js';
export { LinearGaussianController } from './linear-gaussian-controller.js';
export type { ConditionReport, IterationReport, LqrFlmOptions } from './lqr-flm.js';
export { LqrFlm } from './lqr-flm.js';
export type { FiniteDifferenceCostOptions, StepCostFunction } from './finite-difference-cost.js';
export { FiniteDifferenceCost } from './finite-difference-cost.js';
export type { InitialLqrOptions, InitialPdOptions } from './initial-controller.js';
export { initialLqr, initialPd } from './initial-controller.js';
export type { DifferentiableModel, IlqrOptions, IlqrResult } from './ilqr.js';
export { ilqr } from './ilqr.js';
export { lqrBackward } from './lqr-backward.js';
export { expectedStepCosts, forwardMarginals } from './forward-marginals.js';
export { trajectoryKl } from './trajectory-kl.js';
export type { KlUpdateOptions, KlUpdateResult } from './kl-constrained-update.js';
export { klConstrainedUpdate } from './kl-constrained-update.js';
export { fitLinearGaussianDynamics } from './dynamics-fit.js';
export { GmmDynamicsPrior } from './gmm-dynamics-prior.js';
