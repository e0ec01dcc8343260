/**
 * The embedded simulator as a node: it publishes what a robot's drivers would (calibrated
 * sensor_msgs/JointState, sensor_msgs/Imu for each site carrying IMU sensors, /clock) and
 * applies the newest command from the command topic.
 *
 * Lockstep: the caller advances the simulation one control period at a time with advance();
 * on the in-process bus the controller's sim-time timer fires while /clock is delivered, so
 * its command for s_t is in place before s_{t+1} is simulated. Real time: a wall timer steps
 * physics to keep pace with the wall clock.
 */
import { Rng } from '../math/rng.js';
import type { ImuMsg, JointStateMsg } from '../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer } from '../runtime/node-api.js';
import { ThrottledWarning } from '../runtime/throttled-warning.js';
import { timeFromNanoseconds, timeFromSeconds, type TimeMsg } from '../runtime/time.js';
import type { JointInfo } from '../sim/mujoco-simulator.js';
import type { StepResult, TaskEnvironment } from '../tasks/task-environment.js';

export interface MujocoSimNodeOptions {
  env: TaskEnvironment;
  mode: 'lockstep' | 'realtime';
  seed: number;
  /** Sensor publication rate; default once per control period (1/dt). */
  sensorRateHz?: number;
  /** Gaussian noise std added to published joint positions (rad or m) and velocities. */
  noise?: { position?: number; velocity?: number };
  /** Sensor messages are delivered this long (sim seconds) after they were sampled. */
  latencySeconds?: number;
  topics?: { jointStates?: string; command?: string; imuPrefix?: string };
  /** Real-time mode: zero the actuators when no command arrived for this long (wall s). */
  commandTimeoutSeconds?: number;
  /** Real-time mode: sim seconds per wall second. */
  realTimeFactor?: number;
}

export interface MujocoSimStats {
  sensorMessages: number;
  commandsAccepted: number;
  commandsRejected: number;
  /** Lockstep control periods simulated with the safe (zero) command because none arrived. */
  missedCommands: number;
  watchdogTrips: number;
}

interface ImuGroup {
  site: string;
  quat?: number;
  gyro?: number;
  accel?: number;
  publisher: Publisher<'sensor_msgs/msg/Imu'>;
}

interface Pending {
  releaseNs: bigint;
  send: () => void;
}

export class MujocoSimNode {
  readonly stats: MujocoSimStats = {
    sensorMessages: 0,
    commandsAccepted: 0,
    commandsRejected: 0,
    missedCommands: 0,
    watchdogTrips: 0,
  };
  private readonly env: TaskEnvironment;
  private readonly rng: Rng;
  private readonly joints: JointInfo[];
  private readonly jointStates: Publisher<'sensor_msgs/msg/JointState'>;
  private readonly clockPub: Publisher<'rosgraph_msgs/msg/Clock'>;
  private readonly imus: ImuGroup[] = [];
  private readonly command: Float64Array;
  private readonly zero: Float64Array;
  private readonly dtNs: bigint;
  private readonly timestepNs: bigint;
  private readonly sensorPeriodNs: bigint;
  private readonly latencyNs: bigint;
  private readonly pending: Pending[] = [];
  private commandSeq = 0;
  private appliedSeq = 0;
  private lastCommandWall = -Infinity;
  /** Sim time of the current episode's start, and time within it, in integer nanoseconds. */
  private originNs = 0n;
  private episodeNs = 0n;
  private lastSensorNs = -1n;
  private realtimeTimer: Timer | undefined;
  /** Real time on a wall clock: node-clock seconds at sim time `wallAnchorNs` (see stampNow). */
  private wallAnchor: { seconds: number; simNs: bigint; factor: number } | null = null;
  private readonly warnings: ThrottledWarning;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: MujocoSimNodeOptions,
  ) {
    this.env = options.env;
    this.warnings = new ThrottledWarning(node.logger);
    this.rng = new Rng(options.seed);
    const names = new Set(this.env.task.state.map((s) => s.joint));
    this.joints = [...names].map((n) => this.env.sim.joint(n));
    const topics = options.topics ?? {};
    this.jointStates = node.createPublisher(
      'sensor_msgs/msg/JointState',
      topics.jointStates ?? 'joint_states',
      {
        qos: 'sensorData',
      },
    );
    this.clockPub = node.createPublisher('rosgraph_msgs/msg/Clock', '/clock', { qos: 'clock' });
    this.collectImus(topics.imuPrefix ?? 'imu');
    this.command = new Float64Array(this.env.actionDim);
    this.zero = new Float64Array(this.env.actionDim);
    node.createSubscription(
      'std_msgs/msg/Float64MultiArray',
      topics.command ?? 'command',
      (msg) => this.onCommand(msg.data),
      {
        qos: 'command',
      },
    );
    this.dtNs = secondsToNs(this.env.dt);
    this.timestepNs = secondsToNs(this.env.sim.timestep);
    this.sensorPeriodNs = options.sensorRateHz ? secondsToNs(1 / options.sensorRateHz) : this.dtNs;
    if (this.sensorPeriodNs < this.timestepNs)
      throw new RangeError(
        `sensor rate ${options.sensorRateHz} Hz is faster than the physics rate ${1 / this.env.sim.timestep} Hz`,
      );
    this.latencyNs = secondsToNs(options.latencySeconds ?? 0);
    // The first episode starts one control period after t = 0 so that a controller timer
    // created at t = 0 (first deadline: one period later) serves s_0.
    this.originNs = this.dtNs;
  }

  /** Sim time now, in seconds since the run started. */
  get simTimeSeconds(): number {
    return Number(this.originNs + this.episodeNs) / 1e9;
  }

  /** Starts a new episode from `state`, or from the task's initial distribution. */
  reset(state?: ArrayLike<number>): Float64Array {
    if (state) this.env.setState(state);
    else this.env.reset(this.rng);
    // Sim time never runs backwards (ROS timers would stall): the new episode begins one
    // control period after the last one ended.
    if (this.lastSensorNs >= 0n || this.episodeNs > 0n) this.originNs += this.episodeNs + this.dtNs;
    this.episodeNs = 0n;
    this.pending.length = 0;
    this.command.fill(0);
    this.appliedSeq = this.commandSeq;
    this.lastSensorNs = -1n;
    this.sampleSensors();
    this.flushPending();
    this.publishClock();
    return this.env.readState(new Float64Array(this.env.stateDim));
  }

  /**
   * Lockstep: simulates one control period with the newest command (zero if the
   * controller sent none since the last period) and publishes sensors and /clock.
   */
  advance(): StepResult {
    if (this.options.mode !== 'lockstep')
      throw new Error('advance() is for lockstep mode; use start() in real time');
    let action: Float64Array = this.command;
    if (this.appliedSeq === this.commandSeq) {
      this.stats.missedCommands++;
      action = this.zero;
    }
    this.appliedSeq = this.commandSeq;
    const startNs = this.episodeNs;
    const result = this.env.step(action, (k) => {
      this.episodeNs = startNs + BigInt(k) * this.timestepNs;
      if (this.episodeNs - this.lastSensorNs >= this.sensorPeriodNs) this.sampleSensors();
      this.flushPending();
    });
    this.episodeNs = startNs + this.dtNs;
    this.publishClock();
    return result;
  }

  /** Real time: steps physics on a wall timer at the sensor rate until stop(). */
  start(): void {
    if (this.options.mode !== 'realtime')
      throw new Error('start() is for real-time mode; use advance() in lockstep');
    if (this.realtimeTimer) return;
    const factor = this.options.realTimeFactor ?? 1;
    const timeout = this.options.commandTimeoutSeconds ?? 0.5;
    const wallStart = performance.now();
    const simStart = this.episodeNs;
    const period = Number(this.sensorPeriodNs) / 1e9;
    // Without /clock, consumers on the wall clock judge staleness by header stamps, so
    // stamps must be wall times: the sample's sim time mapped onto the wall clock.
    if (!this.node.clock.isSimTime)
      this.wallAnchor = { seconds: this.node.clock.nowSeconds(), simNs: simStart, factor };
    this.realtimeTimer = this.node.createTimer(period / factor, () => {
      const wallNow = performance.now();
      if (wallNow - this.lastCommandWall > timeout * 1000 && this.command.some((c) => c !== 0)) {
        this.command.fill(0);
        this.stats.watchdogTrips++;
        this.node.logger.warn(`no command for ${timeout} s: actuators set to zero`);
      }
      const targetNs = simStart + secondsToNs(((wallNow - wallStart) / 1000) * factor);
      this.env.applyAction(this.command);
      while (this.episodeNs + this.timestepNs <= targetNs) {
        this.env.sim.step(1);
        this.episodeNs += this.timestepNs;
        if (this.episodeNs - this.lastSensorNs >= this.sensorPeriodNs) this.sampleSensors();
        this.flushPending();
      }
      this.publishClock();
    });
  }

  stop(): void {
    this.realtimeTimer?.cancel();
    this.realtimeTimer = undefined;
    this.wallAnchor = null;
  }

  private onCommand(data: ArrayLike<number>): void {
    // rclnodejs may deliver typed arrays: any array-like of finite numbers of the right length.
    let valid = data !== null && typeof data === 'object' && data.length === this.env.actionDim;
    for (let i = 0; valid && i < this.env.actionDim; i++) valid = Number.isFinite(data[i]);
    if (!valid) {
      this.stats.commandsRejected++;
      this.warnings.warn(
        `rejected command: expected ${this.env.actionDim} finite values (${this.env.actionNames.join(', ')}), got ${JSON.stringify(Array.from(data ?? [])).slice(0, 120)}`,
      );
      return;
    }
    this.command.set(data);
    this.commandSeq++;
    this.lastCommandWall = performance.now();
    this.stats.commandsAccepted++;
  }

  private stampNow(): TimeMsg {
    const anchor = this.wallAnchor;
    if (anchor)
      return timeFromSeconds(anchor.seconds + Number(this.episodeNs - anchor.simNs) / 1e9 / anchor.factor);
    return timeFromNanoseconds(this.originNs + this.episodeNs);
  }

  private publishClock(): void {
    this.clockPub.publish({ clock: this.stampNow() });
  }

  /** Samples sensors now; delivery happens after the configured latency. */
  private sampleSensors(): void {
    this.lastSensorNs = this.episodeNs;
    const stamp = this.stampNow();
    const sim = this.env.sim;
    const qpos = sim.qpos();
    const qvel = sim.qvel();
    const effort = sim.actuatorForce();
    const noise = this.options.noise ?? {};
    const posStd = noise.position ?? 0;
    const velStd = noise.velocity ?? 0;
    const msg: JointStateMsg = {
      header: { stamp, frame_id: '' },
      name: this.joints.map((j) => j.name),
      position: this.joints.map((j) => qpos[j.qposAddress] + (posStd > 0 ? this.rng.normal(0, posStd) : 0)),
      velocity: this.joints.map((j) => qvel[j.dofAddress] + (velStd > 0 ? this.rng.normal(0, velStd) : 0)),
      effort: this.joints.map((j) => effort[j.dofAddress]),
    };
    const imuMsgs = this.imus.map((imu) => ({ imu, msg: this.imuMessage(imu, stamp) }));
    const send = () => {
      this.jointStates.publish(msg);
      for (const { imu, msg: m } of imuMsgs) imu.publisher.publish(m);
      this.stats.sensorMessages += 1 + imuMsgs.length;
    };
    this.pending.push({ releaseNs: this.originNs + this.episodeNs + this.latencyNs, send });
  }

  private flushPending(): void {
    const now = this.originNs + this.episodeNs;
    while (this.pending.length > 0 && this.pending[0].releaseNs <= now) this.pending.shift()!.send();
  }

  private imuMessage(imu: ImuGroup, stamp: TimeMsg): ImuMsg {
    const data = this.env.sim.sensordata();
    const vec = (adr: number | undefined) =>
      adr === undefined ? { x: 0, y: 0, z: 0 } : { x: data[adr], y: data[adr + 1], z: data[adr + 2] };
    // MuJoCo quaternions are (w, x, y, z); REP 145: covariance[0] = -1 marks a missing field.
    const q =
      imu.quat === undefined
        ? { x: 0, y: 0, z: 0, w: 1 }
        : { w: data[imu.quat], x: data[imu.quat + 1], y: data[imu.quat + 2], z: data[imu.quat + 3] };
    const cov = (present: boolean) => (present ? new Array<number>(9).fill(0) : [-1, 0, 0, 0, 0, 0, 0, 0, 0]);
    return {
      header: { stamp, frame_id: imu.site },
      orientation: q,
      orientation_covariance: cov(imu.quat !== undefined),
      angular_velocity: vec(imu.gyro),
      angular_velocity_covariance: cov(imu.gyro !== undefined),
      linear_acceleration: vec(imu.accel),
      linear_acceleration_covariance: cov(imu.accel !== undefined),
    };
  }

  private collectImus(prefix: string): void {
    const bySite = new Map<string, Omit<ImuGroup, 'publisher'>>();
    for (const s of this.env.sim.sensors) {
      const field =
        s.type === 'framequat'
          ? 'quat'
          : s.type === 'gyro'
            ? 'gyro'
            : s.type === 'accelerometer'
              ? 'accel'
              : null;
      if (!field || !s.objectName) continue;
      const group = bySite.get(s.objectName) ?? { site: s.objectName };
      group[field] = s.address;
      bySite.set(s.objectName, group);
    }
    for (const group of bySite.values())
      this.imus.push({
        ...group,
        publisher: this.node.createPublisher('sensor_msgs/msg/Imu', `${prefix}/${group.site}`, {
          qos: 'sensorData',
        }),
      });
  }
}

function secondsToNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}
