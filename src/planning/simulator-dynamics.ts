/**
 * The embedded simulator as a DynamicsModel: each row is set into MuJoCo, stepped for one
 * control period and read back. Exact (no learning) and slow (one row at a time), it is
 * the reference a learned model is compared with, and lets a planner be tested on its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { DynamicsModel, StepOptions } from '../models/dynamics-model.js';
import type { TaskEnvironment } from '../tasks/task-environment.js';

export class SimulatorDynamics implements DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly eliteCount = 1;
  private readonly row: Float64Array;
  private readonly action: Float64Array;

  constructor(private readonly env: TaskEnvironment) {
    this.stateDim = env.stateDim;
    this.actionDim = env.actionDim;
    this.row = new Float64Array(env.stateDim);
    this.action = new Float64Array(env.actionDim);
  }

  step(states: tf.Tensor2D, actions: tf.Tensor2D, _options: StepOptions): tf.Tensor2D {
    const s = states.dataSync();
    const a = actions.dataSync();
    const rows = states.shape[0];
    const S = this.stateDim;
    const A = this.actionDim;
    const out = new Float32Array(rows * S);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < S; j++) this.row[j] = s[r * S + j];
      for (let j = 0; j < A; j++) this.action[j] = a[r * A + j];
      this.env.setState(this.row);
      out.set(this.env.step(this.action).state, r * S);
    }
    return tf.tensor2d(out, [rows, S]);
  }

  dispose(): void {}
}
