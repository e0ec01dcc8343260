/**
 * MPC for a real-time control loop: the planner runs continuously in a worker thread
 * (AsyncPlanner); each tick hands it the newest state and executes the action of the
 * newest plan for the current time, without waiting (mjpc's agent/planner split). A plan
 * that does not cover "now" any more is stale and the controller falls back to the safe
 * action; the error says why the planner has not delivered (its last failure, if any).
 */
import type { AsyncPlanner } from '../planning/async-planner.js';
import { PolicyNotReadyError, type Policy, type PolicyStatus } from './policy.js';

export interface AsyncMpcPolicyOptions {
  actionDim: number;
  /** A plan older than this (seconds from its state's stamp) is not used; default 0.5 s. */
  maxPlanAgeSeconds?: number;
}

export class AsyncMpcPolicy implements Policy {
  readonly source = 'mpc' as const;
  private planner: AsyncPlanner | null = null;
  private planAge: number | undefined;
  private readonly previous: Float64Array;
  private hasPrevious = false;
  private readonly maxPlanAge: number;
  /** Time of the previous act() call, and of the first call after a pause. */
  private lastActTime = -Infinity;
  private resumedAt = -Infinity;

  constructor(private readonly options: AsyncMpcPolicyOptions) {
    this.previous = new Float64Array(options.actionDim);
    this.maxPlanAge = options.maxPlanAgeSeconds ?? 0.5;
  }

  /** Starts acting on this planner's plans (after its first model is in service). */
  attach(planner: AsyncPlanner): void {
    this.planner = planner;
  }

  reset(): void {
    this.planner?.reset();
    this.hasPrevious = false;
  }

  act(state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array {
    const planner = this.planner;
    if (!planner) throw new PolicyNotReadyError('no model yet');
    // While the controller was safe (stale or invalid sensors, e-stop) the planner got no
    // states, so the plans from before the pause are stale by design, not by failure.
    if (!(timeSeconds - this.lastActTime <= this.maxPlanAge)) this.resumedAt = timeSeconds;
    this.lastActTime = timeSeconds;
    planner.setState(state, timeSeconds, this.hasPrevious ? this.previous : null);
    const failure = planner.planFailure ? ` (${planner.planFailure.message})` : '';
    const plan = planner.latest;
    if (!plan) {
      // A planner that fails every plan never becomes ready: that is a failure, not a wait.
      if (planner.planFailure) throw new Error(`no plan yet${failure}`);
      throw new PolicyNotReadyError('no plan yet');
    }
    const age = timeSeconds - plan.stamp;
    this.planAge = age;
    // The action scheduled for now: plans are laid out from their state's stamp in steps of dt.
    const index = Math.max(0, Math.floor(age / plan.dt + 1e-6));
    if (age > this.maxPlanAge || index >= plan.horizon) {
      const stale = `newest plan is ${age.toFixed(3)} s old${failure}`;
      if (plan.stamp < this.resumedAt && timeSeconds - this.resumedAt <= this.maxPlanAge)
        throw new PolicyNotReadyError(`waiting for a plan from the current state: ${stale}`);
      throw new Error(stale);
    }
    const A = plan.actionDim;
    for (let i = 0; i < out.length; i++) {
      out[i] = plan.actions[index * A + i];
      // Checked here too so the planner's "previous action" is always one that was sent.
      if (!Number.isFinite(out[i])) throw new Error(`newest plan has a non-finite action (${out[i]})`);
    }
    this.previous.set(out);
    this.hasPrevious = true;
    return out;
  }

  status(): PolicyStatus {
    const planner = this.planner;
    const plan = planner?.latest ?? null;
    return {
      modelVersion: plan?.modelVersion ?? 0,
      planAgeSeconds: this.planAge,
      uncertainty: plan?.returnStd,
      plannerErrors: planner?.errors,
      plannerOverruns: planner?.overruns,
    };
  }
}
