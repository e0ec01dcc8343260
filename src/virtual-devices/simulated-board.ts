/**
 * The firmware side of a virtual device: the MuJoCo simulator stepping in real time (the
 * same MujocoSimNode the embedded sim runs), its joint states turned into raw device fields
 * through the inverse calibration, and raw command fields turned back into actions. The
 * board has its own firmware watchdog (actuators to zero when commands stop), as real boards
 * should. Transports (serial, MQTT) only move the raw values.
 */
import type { DeviceConfig } from '../config/device-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import type { DeviceMapping } from '../hardware/device-mapping.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import { float64Array } from '../runtime/messages.js';
import type { Publisher } from '../runtime/node-api.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { TaskEnvironment } from '../tasks/task-environment.js';

export interface SimulatedBoardOptions {
  task: LoadedTask;
  mapping: DeviceMapping;
  sensorRateHz: number;
  seed: number;
  /** Firmware watchdog: actuators to zero when no command arrived for this long; default 0.5 s. */
  commandTimeoutSeconds?: number;
  /** Gaussian noise on joint positions and velocities (SI), before conversion to raw. */
  noise?: { position?: number; velocity?: number };
  /** 'mean': start at the task's mean initial state (at rest, e.g. for zero calibration); default random. */
  startState?: 'random' | 'mean';
  /** Called at the sensor rate with raw values in mapping.sensorFields order. */
  onSensors: (raw: Float64Array) => void;
}

/** What a virtual device passes on to its board: the device's options that concern the simulator. */
export interface BoardDeviceOptions {
  device: DeviceConfig;
  mapping: DeviceMapping;
  task: LoadedTask;
  seed: number;
  startState?: 'random' | 'mean';
  commandTimeoutSeconds?: number;
  noise?: { position?: number; velocity?: number };
}

export interface SimulatedBoardStats {
  sensorFrames: number;
  commands: number;
  commandsRejected: number;
  watchdogTrips: number;
}

export class SimulatedBoard {
  private readonly rawSensors: Float64Array;
  private readonly action: Float64Array;
  private readonly commandPub: Publisher<'std_msgs/msg/Float64MultiArray'>;
  private started = false;
  private sensorFrames = 0;

  private constructor(
    private readonly options: SimulatedBoardOptions,
    private readonly env: TaskEnvironment,
    private readonly bus: InProcessBus,
    private readonly sim: MujocoSimNode,
  ) {
    const { mapping } = options;
    this.rawSensors = new Float64Array(mapping.sensorFields.length);
    this.action = new Float64Array(mapping.actionNames.length);
    const bridge = bus.createNode('board_bridge');
    bridge.createSubscription(
      'sensor_msgs/msg/JointState',
      'joint_states',
      (msg) => {
        mapping.rawSensorsFromJointState(msg, undefined, this.rawSensors);
        this.sensorFrames++;
        options.onSensors(this.rawSensors);
      },
      { qos: 'sensorData' },
    );
    this.commandPub = bridge.createPublisher('std_msgs/msg/Float64MultiArray', 'command', { qos: 'command' });
  }

  /**
   * A board behind a virtual device: the board sends its sensor values to the device built by
   * `build`, which exists only once the board does; if `build` throws, the board is disposed.
   */
  static async withDevice<D>(
    options: BoardDeviceOptions,
    build: (board: SimulatedBoard) => D,
    sendSensors: (device: D, raw: Float64Array) => void,
  ): Promise<D> {
    const holder: { device?: D } = {};
    const board = await SimulatedBoard.create({
      task: options.task,
      mapping: options.mapping,
      sensorRateHz: options.device.rates.sensor_hz,
      seed: options.seed,
      startState: options.startState,
      commandTimeoutSeconds: options.commandTimeoutSeconds,
      noise: options.noise,
      onSensors: (raw) => {
        if (holder.device !== undefined) sendSensors(holder.device, raw);
      },
    });
    try {
      holder.device = build(board);
    } catch (err) {
      await board.dispose();
      throw err;
    }
    return holder.device;
  }

  static async create(options: SimulatedBoardOptions): Promise<SimulatedBoard> {
    const env = await TaskEnvironment.create(options.task);
    const bus = new InProcessBus();
    const sim = new MujocoSimNode(bus.createNode('board_sim'), {
      env,
      mode: 'realtime',
      seed: options.seed,
      sensorRateHz: options.sensorRateHz,
      noise: options.noise,
      commandTimeoutSeconds: options.commandTimeoutSeconds ?? 0.5,
    });
    return new SimulatedBoard(options, env, bus, sim);
  }

  get stats(): SimulatedBoardStats {
    return {
      sensorFrames: this.sensorFrames,
      commands: this.sim.stats.commandsAccepted,
      commandsRejected: this.sim.stats.commandsRejected,
      watchdogTrips: this.sim.stats.watchdogTrips,
    };
  }

  /** The simulator's state in the task's state order (SI), for tests and status lines. */
  state(): Float64Array {
    return this.env.readState(new Float64Array(this.env.stateDim));
  }

  /** Starts a new episode (a random initial state, the mean, or `state`) and runs physics in real time. */
  start(state?: ArrayLike<number>): void {
    if (this.started) return;
    this.started = true;
    this.sim.reset(state ?? (this.options.startState === 'mean' ? this.meanState() : undefined));
    this.sim.start();
  }

  /** Puts the simulator in `state` (or a new initial state) without stopping physics. */
  reset(state?: ArrayLike<number>): void {
    this.sim.reset(state);
  }

  /** Raw command values (mapping.commandFields order) from the wire. */
  onRawCommand(raw: ArrayLike<number>): void {
    this.options.mapping.actionFromRawCommand(raw, this.action);
    this.commandPub.publish(float64Array(Array.from(this.action)));
  }

  async stop(): Promise<void> {
    this.sim.stop();
    this.started = false;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.bus.shutdown();
    this.env.dispose();
  }

  private meanState(): Float64Array {
    const { task } = this.options.task;
    return Float64Array.from(task.state, (s) => task.initial_state.mean[s.name] ?? 0);
  }
}
