/**
 * MPC as a policy in lockstep: every call plans from the given state (warm-started from
 * the previous plan, shifted by the elapsed control steps) and returns the plan's first
 * action (receding horizon). Used where the control tick may wait for the planner (the
 * simulator's sim clock); on a robot, AsyncMpcPolicy reads a planner thread instead.
 */
import type { DynamicsModel } from '../models/dynamics-model.js';
import type { MpcPlanner, Plan } from '../planning/mpc-planner.js';
import { PolicyNotReadyError, type Policy, type PolicyStatus } from './policy.js';

export interface MpcPolicyOptions {
  actionDim: number;
  /** Per-plan compute budget (ms): the optimizer starts no iteration after it. */
  budgetMs?: number;
  /** Called with every plan (timing and prediction figures for metrics). */
  onPlan?: (plan: Plan) => void;
}

export class MpcPolicy implements Policy {
  readonly source = 'mpc' as const;
  private planner: MpcPlanner | null = null;
  private version = 0;
  private last: Plan | null = null;
  private readonly previous: Float64Array;
  private hasPrevious = false;

  constructor(private readonly options: MpcPolicyOptions) {
    this.previous = new Float64Array(options.actionDim);
  }

  /** Installs a planner (first model) or swaps the model of the current one between ticks. */
  setPlanner(planner: MpcPlanner, version: number): void {
    this.planner = planner;
    this.version = version;
  }

  setModel(model: DynamicsModel, version: number): void {
    if (!this.planner) throw new Error('setModel before a planner was installed');
    this.planner.setModel(model, version);
    this.version = version;
  }

  get hasPlanner(): boolean {
    return this.planner !== null;
  }

  reset(): void {
    this.planner?.reset();
    this.last = null;
    this.hasPrevious = false;
  }

  act(state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array {
    if (!this.planner) throw new PolicyNotReadyError('no model yet');
    const deadline =
      this.options.budgetMs === undefined ? undefined : performance.now() + this.options.budgetMs;
    const plan = this.planner.plan(state, timeSeconds, {
      deadline,
      previousAction: this.hasPrevious ? this.previous : null,
    });
    this.last = plan;
    for (let i = 0; i < out.length; i++) out[i] = plan.actions[i];
    this.previous.set(out);
    this.hasPrevious = true;
    this.options.onPlan?.(plan);
    return out;
  }

  status(): PolicyStatus {
    return {
      modelVersion: this.version,
      planAgeSeconds: this.last ? 0 : undefined,
      uncertainty: this.last?.returnStd,
    };
  }
}
