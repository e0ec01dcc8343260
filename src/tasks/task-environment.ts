/**
 * A task running on the embedded simulator, with a gym-like reset/step: the state vector
 * is the task's declared joint quantities (angles wrapped where declared), the action is
 * clamped to the task's bounds and written to the named actuators, and each step advances
 * physics by dt and returns r_t = -c(s_{t+1}, a_t, a_{t-1}).
 */
import type { Task } from '../config/task-schema.js';
import { wrapAngle } from '../math/angles.js';
import type { Rng } from '../math/rng.js';
import { MujocoModelError } from '../sim/mujoco-model-error.js';
import { MujocoSimulator } from '../sim/mujoco-simulator.js';
import { TaskCost } from './task-cost.js';

export interface TaskSource {
  task: Task;
  /** The task file, for error messages. */
  file: string;
  mjcfPath: string;
}

export interface StepResult {
  /** s_{t+1}; a view owned by the environment, overwritten by the next step. */
  state: Float64Array;
  reward: number;
  cost: number;
  /** The action actually applied, after clamping. */
  action: Float64Array;
}

interface StateSlot {
  address: number;
  velocity: boolean;
  wrap: boolean;
}

export class TaskEnvironment {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly stateNames: readonly string[];
  readonly actionNames: readonly string[];
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  /** Physics steps per control step. */
  readonly substeps: number;
  readonly cost: TaskCost;
  private readonly slots: StateSlot[];
  private readonly actuators: Int32Array;
  private readonly state: Float64Array;
  private readonly applied: Float64Array;
  private readonly previous: Float64Array;
  private hasPrevious = false;
  private stepCount = 0;

  private constructor(
    readonly task: Task,
    readonly sim: MujocoSimulator,
    taskFile: string,
  ) {
    const timestep = sim.timestep;
    const ratio = task.dt / timestep;
    this.substeps = Math.round(ratio);
    if (this.substeps < 1 || Math.abs(ratio - this.substeps) > 1e-6)
      throw new MujocoModelError(
        taskFile,
        `dt: ${task.dt} s is not an integer multiple of the MJCF timestep ${timestep} s`,
      );
    this.slots = task.state.map((field) => {
      const joint = sim.joint(field.joint);
      if (joint.kind !== 'hinge' && joint.kind !== 'slide')
        throw new MujocoModelError(
          taskFile,
          `state field ${field.name}: joint ${field.joint} is a ${joint.kind} joint; only hinge and slide joints form state fields`,
        );
      const velocity = field.quantity === 'velocity';
      return { address: velocity ? joint.dofAddress : joint.qposAddress, velocity, wrap: field.wrap };
    });
    this.actuators = Int32Array.from(task.action.map((a) => sim.actuatorIndex(a.actuator)));
    this.stateDim = task.state.length;
    this.actionDim = task.action.length;
    this.stateNames = task.state.map((s) => s.name);
    this.actionNames = task.action.map((a) => a.name);
    this.actionLow = Float64Array.from(task.action.map((a) => a.min));
    this.actionHigh = Float64Array.from(task.action.map((a) => a.max));
    this.cost = new TaskCost(task);
    this.state = new Float64Array(this.stateDim);
    this.applied = new Float64Array(this.actionDim);
    this.previous = new Float64Array(this.actionDim);
  }

  static async create(source: TaskSource): Promise<TaskEnvironment> {
    const sim = await MujocoSimulator.load(source.mjcfPath);
    try {
      return new TaskEnvironment(source.task, sim, source.file);
    } catch (error) {
      sim.dispose();
      throw error;
    }
  }

  get dt(): number {
    return this.task.dt;
  }

  get episodeSteps(): number {
    return this.task.episode_steps;
  }

  /** Steps taken since the last reset. */
  get steps(): number {
    return this.stepCount;
  }

  /** Samples s_0 from the task's initial-state distribution and returns it (a copy). */
  reset(rng: Rng): Float64Array {
    const initial = new Float64Array(this.stateDim);
    const { mean, std } = this.task.initial_state;
    this.task.state.forEach((field, i) => {
      initial[i] = (mean[field.name] ?? 0) + (std[field.name] ?? 0) * rng.normal();
    });
    this.setState(initial);
    return this.readState(new Float64Array(this.stateDim));
  }

  /** Puts the simulator in `state` (joints not in the state keep their reference values). */
  setState(state: ArrayLike<number>): void {
    if (state.length !== this.stateDim)
      throw new RangeError(`state has ${state.length} entries, task ${this.task.name} has ${this.stateDim}`);
    this.sim.reset();
    const qpos = this.sim.qpos();
    const qvel = this.sim.qvel();
    this.slots.forEach((slot, i) => {
      if (slot.velocity) qvel[slot.address] = state[i];
      else qpos[slot.address] = state[i];
    });
    this.sim.ctrl().fill(0);
    this.sim.forward();
    this.hasPrevious = false;
    this.stepCount = 0;
  }

  /** The current state vector, written into `out`. */
  readState(out: Float64Array = this.state): Float64Array {
    const qpos = this.sim.qpos();
    const qvel = this.sim.qvel();
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      const value = slot.velocity ? qvel[slot.address] : qpos[slot.address];
      out[i] = slot.wrap ? wrapAngle(value) : value;
    }
    return out;
  }

  /** Clamps `action` to the task bounds into `out`; NaN becomes 0 so physics never sees it. */
  clampAction(action: ArrayLike<number>, out: Float64Array = this.applied): Float64Array {
    if (action.length !== this.actionDim)
      throw new RangeError(
        `action has ${action.length} entries, task ${this.task.name} has ${this.actionDim}`,
      );
    for (let i = 0; i < this.actionDim; i++) {
      const a = action[i];
      out[i] = Number.isNaN(a) ? 0 : Math.min(this.actionHigh[i], Math.max(this.actionLow[i], a));
    }
    return out;
  }

  /** Clamps `action` and writes it to the actuators without stepping; returns what was applied. */
  applyAction(action: ArrayLike<number>): Float64Array {
    const applied = this.clampAction(action);
    const ctrl = this.sim.ctrl();
    for (let i = 0; i < this.actionDim; i++) ctrl[this.actuators[i]] = applied[i];
    return applied;
  }

  /**
   * Applies `action` for dt seconds. `afterSubstep(k)` runs after each physics step, for
   * sensors sampled faster than the control rate.
   */
  step(action: ArrayLike<number>, afterSubstep?: (substep: number) => void): StepResult {
    const applied = this.applyAction(action);
    if (afterSubstep) {
      for (let k = 1; k <= this.substeps; k++) {
        this.sim.step(1);
        afterSubstep(k);
      }
    } else {
      this.sim.step(this.substeps);
    }
    const state = this.readState();
    const cost = this.cost.evaluate(state, applied, this.hasPrevious ? this.previous : null);
    this.previous.set(applied);
    this.hasPrevious = true;
    this.stepCount++;
    return { state, reward: -cost, cost, action: applied };
  }

  dispose(): void {
    this.sim.dispose();
  }
}
