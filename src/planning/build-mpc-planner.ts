/**
 * Builds the MPC planner a planner profile describes for a task and a model: the optimizer,
 * and the rollouts that score its candidates. A learned ensemble is rolled out on the host
 * (WebAssembly SIMD kernel) unless the profile says 'tensor'; other models (the simulator)
 * use tfjs tensor rollouts. With threads > 1 the population is split across helper threads
 * (ParallelTrajectoryEvaluator), each running the same kind of rollouts.
 */
import type { Task } from '../config/task-schema.js';
import type { DynamicsModel, Propagation } from '../models/dynamics-model.js';
import { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import type { BackendPreference } from '../models/tf-backend.js';
import { MpcPlanner } from './mpc-planner.js';
import { createOptimizer } from './optimizers/index.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import { ParallelTrajectoryEvaluator } from './parallel-trajectory-evaluator.js';
import type { PlannerProfile } from './planner-profile.js';
import { createRolloutEvaluator } from './rollout-evaluator.js';
import type { PlanningObjective, TrajectoryEvaluatorOptions } from './trajectory-evaluator.js';

export interface BuildMpcPlannerOptions {
  task: Task;
  profile: PlannerProfile;
  model: DynamicsModel;
  modelVersion?: number;
  seed: number;
  /** Control period the plans are laid out in (the task's dt). */
  dt: number;
  /** tfjs backend of helper threads (threads > 1). */
  backend?: BackendPreference;
}

export async function buildMpcPlanner(options: BuildMpcPlannerOptions): Promise<MpcPlanner> {
  const { task, profile: p, model, seed } = options;
  const space: SequenceSpace = {
    horizon: p.horizon,
    actionDim: task.action.length,
    low: Float32Array.from(task.action.map((a) => a.min)),
    high: Float32Array.from(task.action.map((a) => a.max)),
  };
  const optimizer = createOptimizer(p.optimizer, space, seed);
  const evaluator: TrajectoryEvaluatorOptions = {
    particles: p.particles,
    propagation: p.propagation as Propagation,
    objective: p.objective as PlanningObjective,
    riskK: p.risk_k,
    sampleNoise: p.sample_noise,
  };
  const ensemble = model instanceof EnsembleDynamics ? model : null;
  const kind = ensemble && p.rollouts === 'host' ? 'host' : 'tensor';
  const common = {
    model,
    modelVersion: options.modelVersion,
    optimizer,
    evaluator,
    dt: options.dt,
    seed: seed + 1,
  };
  // Several threads score candidates when the profile asks and the model can be copied.
  if (ensemble && p.threads > 1) {
    const rollouts = await ParallelTrajectoryEvaluator.create({
      task,
      model: ensemble,
      space,
      options: evaluator,
      seed: seed + 1,
      maxPopulation: optimizer.maxPopulation,
      threads: p.threads,
      rollouts: kind,
      backend: options.backend,
    });
    return new MpcPlanner({ ...common, rollouts });
  }
  const local = createRolloutEvaluator(
    kind,
    model,
    task,
    space,
    evaluator,
    seed + 1,
    optimizer.maxPopulation,
  );
  return new MpcPlanner({ ...common, rollouts: local.evaluator, release: local.dispose });
}
