/**
 * The task's cost c(s_{t+1}, a_t, a_{t-1}) evaluated in Float64; the reward is -c. Terms are
 * compiled once from the task's declarative cost list (see src/config/task-schema.ts) into
 * closures over resolved indices that score a batch of rows laid out in flat arrays (one
 * transition is a batch of one), so evaluation is allocation-free and a planner scoring
 * thousands of rows per step pays one call per term, not per term and row. The planner's
 * tensor path compiles the same terms to batched tensor code.
 */
import type { CostTerm, Task } from '../config/task-schema.js';
import { PlanarPointEvaluator } from './planar-point.js';

/**
 * `rows` transitions in flat arrays: row r's next state starts at
 * states[stateOffset + r * stateStride], its action at actions[actionOffset + r * actionStride]
 * and its previous action (null: none, the action-rate terms cost 0) likewise.
 */
export interface CostRows {
  rows: number;
  states: ArrayLike<number>;
  stateOffset: number;
  stateStride: number;
  actions: ArrayLike<number>;
  actionOffset: number;
  actionStride: number;
  previous: ArrayLike<number> | null;
  previousOffset: number;
  previousStride: number;
}

/** Adds one term's cost of every row r to out[at + r]. */
type CompiledTerm = (b: CostRows, out: Float64Array, at: number) => void;

export class TaskCost {
  readonly termNames: readonly string[];
  private readonly terms: CompiledTerm[];
  private readonly points: Map<string, PlanarPointEvaluator>;
  private readonly stateIndexByName: Map<string, number>;
  private readonly actionDim: number;
  private readonly scratch = new Float64Array(2);
  private readonly termValues: Float64Array<ArrayBuffer>;
  /** The batch of one that evaluate() and evaluateTerms() fill in. */
  private readonly one: CostRows = { ...TaskCost.emptyRows(), rows: 1 };

  constructor(task: Task) {
    this.stateIndexByName = new Map(task.state.map((s, i) => [s.name, i]));
    const stateIndex = (name: string) => {
      const index = this.stateIndexByName.get(name);
      if (index === undefined) throw new Error(`task ${task.name}: unknown state field "${name}"`);
      return index;
    };
    this.actionDim = task.action.length;
    this.points = new Map(
      Object.entries(task.points).map(([name, point]) => [name, new PlanarPointEvaluator(point, stateIndex)]),
    );
    this.terms = task.cost.map((term) => this.compile(term, stateIndex, task.name));
    this.termNames = task.cost.map((term, i) => `${i}:${term.type}`);
    this.termValues = new Float64Array(this.terms.length);
  }

  /** A batch description with no rows, for a caller to fill in and reuse (no allocation per batch). */
  static emptyRows(): CostRows {
    return {
      rows: 0,
      states: [],
      stateOffset: 0,
      stateStride: 0,
      actions: [],
      actionOffset: 0,
      actionStride: 0,
      previous: null,
      previousOffset: 0,
      previousStride: 0,
    };
  }

  /** Total cost of arriving in `state` after applying `action` (previous action for rate terms). */
  evaluate(
    state: ArrayLike<number>,
    action: ArrayLike<number>,
    previousAction: ArrayLike<number> | null = null,
  ): number {
    const values = this.evaluateTerms(state, action, previousAction, this.termValues);
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[i];
    return total;
  }

  /** Adds the total cost of every row r of `rows` to out[at + r] (term by term). */
  addRows(rows: CostRows, out: Float64Array, at: number): void {
    for (let i = 0; i < this.terms.length; i++) this.terms[i](rows, out, at);
  }

  /** Per-term costs, for diagnostics and reports. */
  evaluateTerms(
    state: ArrayLike<number>,
    action: ArrayLike<number>,
    previousAction: ArrayLike<number> | null = null,
    out = new Float64Array(this.terms.length),
  ): Float64Array {
    const one = this.one;
    one.states = state;
    one.actions = action;
    one.previous = previousAction;
    for (let i = 0; i < this.terms.length; i++) {
      out[i] = 0;
      this.terms[i](one, out, i);
    }
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
    const A = this.actionDim;
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
        return (b, out, at) => {
          const s = b.states;
          for (let r = 0; r < b.rows; r++) {
            const o = b.stateOffset + r * b.stateStride;
            let c = 0;
            for (let k = 0; k < idx.length; k++) {
              const d = s[o + idx[k]] - target[k];
              c += w[k] * d * d;
            }
            out[at + r] += c;
          }
        };
      }
      case 'angle': {
        const i = stateIndex(term.state);
        const { target, weight } = term;
        return (b, out, at) => {
          for (let r = 0; r < b.rows; r++)
            out[at + r] += weight * (1 - Math.cos(b.states[b.stateOffset + r * b.stateStride + i] - target));
        };
      }
      case 'exp_distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        const inv = 1 / (term.width * term.width);
        const { weight } = term;
        return (b, out, at) => {
          for (let r = 0; r < b.rows; r++) {
            p.evaluateAt(b.states, b.stateOffset + r * b.stateStride, scratch);
            const dx = scratch[0] - gx;
            const dy = scratch[1] - gy;
            out[at + r] += -weight * Math.exp(-(dx * dx + dy * dy) * inv);
          }
        };
      }
      case 'distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        const { weight, squared } = term;
        return (b, out, at) => {
          for (let r = 0; r < b.rows; r++) {
            p.evaluateAt(b.states, b.stateOffset + r * b.stateStride, scratch);
            const dx = scratch[0] - gx;
            const dy = scratch[1] - gy;
            const d2 = dx * dx + dy * dy;
            out[at + r] += weight * (squared ? d2 : Math.sqrt(d2));
          }
        };
      }
      case 'action': {
        const { weight } = term;
        return (b, out, at) => {
          const a = b.actions;
          for (let r = 0; r < b.rows; r++) {
            const o = b.actionOffset + r * b.actionStride;
            let c = 0;
            for (let k = 0; k < A; k++) c += a[o + k] * a[o + k];
            out[at + r] += weight * c;
          }
        };
      }
      case 'action_rate': {
        const { weight } = term;
        return (b, out, at) => {
          const a = b.actions;
          const prev = b.previous;
          if (prev === null) return;
          for (let r = 0; r < b.rows; r++) {
            const o = b.actionOffset + r * b.actionStride;
            const q = b.previousOffset + r * b.previousStride;
            let c = 0;
            for (let k = 0; k < A; k++) {
              const d = a[o + k] - prev[q + k];
              c += d * d;
            }
            out[at + r] += weight * c;
          }
        };
      }
      case 'state_bounds': {
        const i = stateIndex(term.state);
        const { min, max, weight } = term;
        return (b, out, at) => {
          for (let r = 0; r < b.rows; r++) {
            const v = b.states[b.stateOffset + r * b.stateStride + i];
            const above = Math.max(0, v - max);
            const below = Math.max(0, min - v);
            out[at + r] += weight * (above * above + below * below);
          }
        };
      }
    }
  }
}
