/**
 * The task's cost terms compiled to batched tfjs code: c(s_{t+1}, a_t, a_{t-1}) for every
 * row of a rollout batch at once. It mirrors src/tasks/task-cost.ts term by term (tested
 * against it); constants are uploaded once and freed by dispose(). A task may instead
 * supply its own TensorCostFunction.
 */
import * as tf from '@tensorflow/tfjs';
import type { CostTerm, PlanarPoint, Task } from '../config/task-schema.js';

/** next [B, S], action [B, A], previous action [B, A] or null -> cost [B]. */
export type TensorCostFunction = (
  next: tf.Tensor2D,
  action: tf.Tensor2D,
  previous: tf.Tensor2D | null,
) => tf.Tensor1D;

type Term = TensorCostFunction;

export class TensorTaskCost {
  private readonly terms: Term[];
  private readonly constants: tf.Tensor[] = [];
  private readonly stateIndex: Map<string, number>;

  constructor(task: Task) {
    this.stateIndex = new Map(task.state.map((s, i) => [s.name, i]));
    this.terms = task.cost.map((term) => this.compile(term, task));
  }

  /** Total cost per row; tensors created here are the caller's (use inside tf.tidy). */
  readonly evaluate: TensorCostFunction = (next, action, previous) => {
    let total: tf.Tensor1D | null = null;
    for (const term of this.terms) {
      const c = term(next, action, previous);
      total = total === null ? c : (tf.add(total, c) as tf.Tensor1D);
    }
    return total ?? tf.zeros([next.shape[0]]);
  };

  dispose(): void {
    tf.dispose(this.constants);
  }

  private keep<T extends tf.Tensor>(t: T): T {
    tf.keep(t);
    this.constants.push(t);
    return t;
  }

  private index(name: string): number {
    const i = this.stateIndex.get(name);
    if (i === undefined) throw new Error(`unknown state field "${name}"`);
    return i;
  }

  private column(s: tf.Tensor2D, name: string): tf.Tensor1D {
    return tf.reshape(tf.slice(s, [0, this.index(name)], [-1, 1]), [-1]);
  }

  /** Planar forward kinematics (see src/tasks/planar-point.ts) on a batch. */
  private point(s: tf.Tensor2D, p: PlanarPoint): [tf.Tensor1D, tf.Tensor1D] {
    const coord = (c: number | string): tf.Tensor1D =>
      typeof c === 'number' ? (tf.fill([s.shape[0]], c) as tf.Tensor1D) : this.column(s, c);
    let x = coord(p.origin[0]);
    let y = coord(p.origin[1]);
    for (const link of p.links) {
      let phi: tf.Tensor1D = tf.fill([s.shape[0]], link.angle.offset) as tf.Tensor1D;
      for (const n of link.angle.plus) phi = tf.add(phi, this.column(s, n)) as tf.Tensor1D;
      for (const n of link.angle.minus) phi = tf.sub(phi, this.column(s, n)) as tf.Tensor1D;
      x = tf.add(x, tf.mul(link.length, tf.cos(phi))) as tf.Tensor1D;
      y = tf.add(y, tf.mul(link.length, tf.sin(phi))) as tf.Tensor1D;
    }
    return [x, y];
  }

  private compile(term: CostTerm, task: Task): Term {
    const pointOf = (name: string) => {
      const p = task.points[name];
      if (!p) throw new Error(`task ${task.name}: unknown point "${name}"`);
      return p;
    };
    switch (term.type) {
      case 'quadratic': {
        const idx = this.keep(
          tf.tensor1d(
            term.state.map((n) => this.index(n)),
            'int32',
          ),
        );
        const target = this.keep(tf.tensor1d(term.target ?? term.state.map(() => 0)));
        const w = this.keep(tf.tensor1d(term.weights));
        return (s) => tf.sum(tf.mul(w, tf.square(tf.sub(tf.gather(s, idx, 1), target))), 1) as tf.Tensor1D;
      }
      case 'angle': {
        const { target, weight } = term;
        return (s) =>
          tf.mul(weight, tf.sub(1, tf.cos(tf.sub(this.column(s, term.state), target)))) as tf.Tensor1D;
      }
      case 'exp_distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        const inv = 1 / (term.width * term.width);
        return (s) => {
          const [x, y] = this.point(s, p);
          const d2 = tf.add(tf.square(tf.sub(x, gx)), tf.square(tf.sub(y, gy)));
          return tf.mul(-term.weight, tf.exp(tf.mul(-inv, d2))) as tf.Tensor1D;
        };
      }
      case 'distance': {
        const p = pointOf(term.point);
        const [gx, gy] = term.target;
        return (s) => {
          const [x, y] = this.point(s, p);
          const d2 = tf.add(tf.square(tf.sub(x, gx)), tf.square(tf.sub(y, gy)));
          return tf.mul(term.weight, term.squared ? d2 : tf.sqrt(d2)) as tf.Tensor1D;
        };
      }
      case 'action':
        return (_s, a) => tf.mul(term.weight, tf.sum(tf.square(a), 1)) as tf.Tensor1D;
      case 'action_rate':
        return (s, a, prev) =>
          prev === null
            ? (tf.zeros([s.shape[0]]) as tf.Tensor1D)
            : (tf.mul(term.weight, tf.sum(tf.square(tf.sub(a, prev)), 1)) as tf.Tensor1D);
      case 'state_bounds': {
        const { min, max, weight } = term;
        return (s) => {
          const v = this.column(s, term.state);
          const above = tf.relu(tf.sub(v, max));
          const below = tf.relu(tf.sub(min, v));
          return tf.mul(weight, tf.add(tf.square(above), tf.square(below))) as tf.Tensor1D;
        };
      }
    }
  }
}
