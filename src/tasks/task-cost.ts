/**
 * The task's cost c(s_{t+1}, a_t, a_{t-1}) evaluated in Float64 for one transition; the
 * reward is -c. Terms are compiled once from the task's declarative cost list (see
 * src/config/task-schema.ts) into closures over resolved indices, so evaluation is
 * allocation-free. The planner compiles the same terms to batched tensor code.
 */
import type { CostTerm, Task } from '../config/task-schema.js';
import { PlanarPointEvaluator } from './planar-point.js';

type CompiledTerm = (
  state: ArrayLike<number>,
  action: ArrayLike<number>,
  prev: ArrayLike<number> | null,
) => number;

export class TaskCost {
  readonly termNames: readonly string[];
  private readonly terms: CompiledTerm[];
  private readonly points: Map<string, PlanarPointEvaluator>;
  private readonly stateIndexByName: Map<string, number>;
  private readonly scratch = new Float64Array(2);

  constructor(task: Task) {
    this.stateIndexByName = new Map(task.state.map((s, i) => [s.name, i]));
    const stateIndex = (name: string) => {
      const index = this.stateIndexByName.get(name);
      if (index === undefined) throw new Error(`task ${task.name}: unknown state field "${name}"`);
      return index;
    };
    this.points = new Map(
      Object.entries(task.points).map(([name, point]) => [name, new PlanarPointEvaluator(point, stateIndex)]),
    );
    this.terms = task.cost.map((term) => this.compile(term, stateIndex, task.name));
    this.termNames = task.cost.map((term, i) => `${i}:${term.type}`);
  }

  /** Total cost of arriving in `state` after applying `action` (previous action for rate terms). */
  evaluate(
    state: ArrayLike<number>,
    action: ArrayLike<number>,
    previousAction: ArrayLike<number> | null = null,
  ): number {
    let total = 0;
    for (let i = 0; i < this.terms.length; i++) total += this.terms[i](state, action, previousAction);
    return total;
  }

  /** Per-term costs, for diagnostics and reports. */
  evaluateTerms(
    state: ArrayLike<number>,
    action: ArrayLike<number>,
    previousAction: ArrayLike<number> | null = null,
    out = new Float64Array(this.terms.length),
  ): Float64Array {
    for (let i = 0; i < this.terms.length; i++) out[i] = this.terms[i](state, action, previousAction);
    return out;
  }

  /** A named planar point of the task (e.g. the pole tip) for `state`. */
  point(name: string, state: ArrayLike<number>, out = new Float64Array(2)): Float64Array {
    const evaluator = this.points.get(name);
    if (!evaluator)
      throw new Error(`unknown point "${name}" (points: ${[...this.points.keys()].join(', ')})`);
    return evaluator.evaluate(state, out);
  }

  private compile(term: CostTerm, stateIndex: (name: string) => number, taskName: string): CompiledTerm {
    const scratch = this.scratch;
    const pointOf = (name: string) => {
      const p = this.points.get(name);
      if (!p) throw new Error(`task ${taskName}: unknown point "${name}"`);
      return p;
    };
    switch (term.type) {
      case 'quadratic': {
        const idx = Int32Array.from(term.state.map(stateIndex));
        const target = Float64Array.from(term.target ?? term.state.map(() => 0));
        const w = Float64Array.from(term.weights);
        return (s) => {
          let c = 0;
          for (let k = 0; k < idx.length; k++) {
            const d = s[idx[k]] - target[k];
            c += w[k] * d * d;
          }
          return c;
        };
      }
      case 'angle': {
        const i = stateIndex(term.state);
        const { target, weight } = term;
        return (s) => weight * (1 - Math.cos(s[i] - target));
      }
      case 'exp_distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        const inv = 1 / (term.width * term.width);
        const { weight } = term;
        return (s) => {
          p.evaluate(s, scratch);
          const dx = scratch[0] - gx;
          const dy = scratch[1] - gy;
          return -weight * Math.exp(-(dx * dx + dy * dy) * inv);
        };
      }
      case 'distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        const { weight, squared } = term;
        return (s) => {
          p.evaluate(s, scratch);
          const dx = scratch[0] - gx;
          const dy = scratch[1] - gy;
          const d2 = dx * dx + dy * dy;
          return weight * (squared ? d2 : Math.sqrt(d2));
        };
      }
      case 'action': {
        const { weight } = term;
        return (_s, a) => {
          let c = 0;
          for (let k = 0; k < a.length; k++) c += a[k] * a[k];
          return weight * c;
        };
      }
      case 'action_rate': {
        const { weight } = term;
        return (_s, a, prev) => {
          if (prev === null) return 0;
          let c = 0;
          for (let k = 0; k < a.length; k++) {
            const d = a[k] - prev[k];
            c += d * d;
          }
          return weight * c;
        };
      }
      case 'state_bounds': {
        const i = stateIndex(term.state);
        const { min, max, weight } = term;
        return (s) => {
          const above = Math.max(0, s[i] - max);
          const below = Math.max(0, min - s[i]);
          return weight * (above * above + below * below);
        };
      }
    }
  }
}
