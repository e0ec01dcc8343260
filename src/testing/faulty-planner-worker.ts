/**
 * The injected fault of the planner scenarios: the real planner worker loop
 * (runPlannerWorker) with its planning call wrapped to throw, overrun its budget or return NaN.
 * Started by AsyncPlanner through its worker-script option; loaded on the main thread (node
 * --test loads every file under test/) it does nothing.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { runPlannerWorker, type PlanCall } from '../planning/planner-worker-loop.js';

export type PlannerFault =
  /** Every plan throws. */
  | { kind: 'throw' }
  /** Plans throw during `failMs` out of every `okMs + failMs` of wall time (a flaky planner). */
  | { kind: 'throw-bursts'; okMs: number; failMs: number }
  /** Every plan blocks its thread this long before planning (far over any control period). */
  | { kind: 'overrun'; sleepMs: number }
  /** Every plan's actions are NaN (a model or optimizer gone numerically bad). */
  | { kind: 'nan' };

function sleep(ms: number): void {
  // Blocks the worker thread like a long computation would (no event loop turns meanwhile).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function faultyPlan(plan: PlanCall, fault: PlannerFault): PlanCall {
  const started = performance.now();
  return (state, stamp, options) => {
    switch (fault.kind) {
      case 'throw':
        throw new Error('injected planner fault');
      case 'throw-bursts': {
        const phase = (performance.now() - started) % (fault.okMs + fault.failMs);
        if (phase >= fault.okMs) throw new Error('injected planner fault');
        return plan(state, stamp, options);
      }
      case 'overrun':
        sleep(fault.sleepMs);
        return plan(state, stamp, options);
      case 'nan': {
        const result = plan(state, stamp, options);
        result.actions.fill(Number.NaN);
        return result;
      }
    }
  };
}

if (!isMainThread) {
  const { fault } = workerData as { fault: PlannerFault };
  void runPlannerWorker({ wrapPlan: (plan) => faultyPlan(plan, fault) });
}
