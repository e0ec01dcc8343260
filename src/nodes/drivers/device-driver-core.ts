/**
 * What every device driver does regardless of transport: publish calibrated joint states
 * (and IMUs) from raw sensor values, turn commands from the command topic into raw command
 * values for the link, run the command watchdog, and count and report bad input. The
 * transport (serial port, MQTT client) only moves raw values in and out.
 */
import type { DeviceMapping } from '../../hardware/device-mapping.js';
import type { ImuMsg, JointStateMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer } from '../../runtime/node-api.js';
import { ThrottledWarning } from '../../runtime/throttled-warning.js';
import { CommandWatchdog } from './command-watchdog.js';
import { driverStatus, emptyDriverStats, type DriverStats } from './driver-diagnostics.js';

/**
 * The transport side: writes raw command values (commandFields order); false if the link is
 * down or backed up. `urgent` (the safe command) skips the backed-up check: stopping the robot
 * must not wait behind the commands it replaces.
 */
export interface DriverLink {
  writeCommand(raw: Float64Array, urgent: boolean): boolean;
}

export interface DeviceDriverCoreOptions {
  mapping: DeviceMapping;
  /** Diagnostic status name, e.g. "cartpole-serial". */
  deviceName: string;
  /** Port path or broker URL (never credentials). */
  hardwareId: string;
  watchdogTimeoutSeconds: number;
  /** JointStates per second the device file declares; a rate far above it is reported. */
  declaredSensorRateHz?: number;
  link: DriverLink;
  /** One sensor_msgs/Imu topic per declared IMU (device.imus order). */
  imuTopics?: string[];
  topics?: { jointStates?: string; command?: string; diagnostics?: string };
  diagnosticsPeriodSeconds?: number;
  /** Sees every decoded frame's raw values before calibration (zero calibration records these). */
  onRawSensors?: (raw: ArrayLike<number>) => void;
}

export class DeviceDriverCore {
  readonly stats: DriverStats = emptyDriverStats();
  private readonly watchdog: CommandWatchdog;
  private readonly jointStates: Publisher<'sensor_msgs/msg/JointState'>;
  private readonly imuPubs: Publisher<'sensor_msgs/msg/Imu'>[];
  private readonly diagnostics: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  private readonly timers: Timer[] = [];
  private readonly warnings: ThrottledWarning;
  private readonly rawCommand: Float64Array;
  private readonly safeRaw: Float64Array;
  private readonly actionDim: number;
  private periodFrames = 0;
  private periodBad = 0;
  private periodStartMs = performance.now();
  private destroyed = false;
  private hasConnectedBefore = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: DeviceDriverCoreOptions,
  ) {
    const { mapping } = options;
    const topics = options.topics ?? {};
    this.warnings = new ThrottledWarning(node.logger);
    this.actionDim = mapping.actionNames.length;
    this.rawCommand = new Float64Array(mapping.commandFields.length);
    this.safeRaw = mapping.actionToRawCommand(mapping.safeAction());
    this.jointStates = node.createPublisher(
      'sensor_msgs/msg/JointState',
      topics.jointStates ?? 'joint_states',
      {
        qos: 'sensorData',
      },
    );
    this.imuPubs = (options.imuTopics ?? []).map((t) =>
      node.createPublisher('sensor_msgs/msg/Imu', t, { qos: 'sensorData' }),
    );
    this.diagnostics = node.createPublisher(
      'diagnostic_msgs/msg/DiagnosticArray',
      topics.diagnostics ?? '/diagnostics',
    );
    this.watchdog = new CommandWatchdog({
      timeoutSeconds: options.watchdogTimeoutSeconds,
      sendSafe: () => {
        this.stats.watchdogTrips = this.watchdog.trips;
        this.sendSafe();
      },
    });
    node.createSubscription(
      'std_msgs/msg/Float64MultiArray',
      topics.command ?? 'command',
      (m) => this.onCommand(m.data),
      {
        qos: 'command',
      },
    );
    // A few checks per timeout bounds how late the safe command can be (timeout + period).
    const checkPeriod = Math.min(options.watchdogTimeoutSeconds / 4, 0.05);
    this.timers.push(node.createTimer(checkPeriod, () => this.watchdog.check()));
    this.timers.push(
      node.createTimer(options.diagnosticsPeriodSeconds ?? 1, () => this.publishDiagnostics()),
    );
  }

  get watchdogActive(): boolean {
    return this.watchdog.isStale;
  }

  /**
   * Raw sensor values (mapping.sensorFields order) from the link: published calibrated, or
   * counted as bad. `publish: false` checks and counts a frame without publishing it (one a
   * newer frame of the same read has superseded).
   */
  onSensors(raw: ArrayLike<number>, publish = true): void {
    if (this.destroyed) return;
    this.options.onRawSensors?.(raw);
    const { jointState, imus } = this.options.mapping.sensorsToMessages(raw, this.node.now());
    const bad = firstNonFinite(jointState, imus);
    if (bad) {
      this.onBadFrame('non_finite', `calibrated ${bad} is not finite (raw ${formatRaw(raw)})`);
      return;
    }
    this.stats.framesOk++;
    this.periodFrames++;
    if (!publish) return;
    this.jointStates.publish(jointState);
    imus.forEach((imu, i) => this.imuPubs[i].publish(imu));
  }

  /** A frame or message that could not be used; counted by kind and logged at most once a second. */
  onBadFrame(kind: string, message: string): void {
    this.stats.badFrames++;
    this.periodBad++;
    this.stats.badFramesByKind[kind] = (this.stats.badFramesByKind[kind] ?? 0) + 1;
    this.stats.lastError = message;
    this.warnings.warn(`bad ${kind} input: ${message} (${this.stats.badFrames} so far)`);
  }

  setConnected(connected: boolean, error?: string): void {
    if (connected && !this.stats.connected && this.hasConnectedBefore) this.stats.reconnects++;
    if (connected) this.hasConnectedBefore = true;
    this.stats.connected = connected;
    if (error) this.stats.lastError = error;
  }

  noteConnectAttempt(): void {
    this.stats.connectAttempts++;
  }

  /** Sends the safe command now (deactivation, shutdown); counts it with the watchdog's. */
  sendSafe(): void {
    this.write(this.safeRaw, true);
  }

  /** Sends the safe command one last time and stops the timers. */
  destroy(): void {
    if (this.destroyed) return;
    this.sendSafe();
    this.destroyed = true;
    for (const t of this.timers) t.cancel();
  }

  private onCommand(data: ArrayLike<number>): void {
    if (this.destroyed) return;
    // rclnodejs may deliver typed arrays: any array-like of finite numbers of the right length.
    let valid = data !== null && typeof data === 'object' && data.length === this.actionDim;
    for (let i = 0; valid && i < this.actionDim; i++) valid = Number.isFinite(data[i]);
    if (!valid) {
      this.stats.commandsRejected++;
      this.warnings.warn(
        `rejected command: expected ${this.actionDim} finite values (${this.options.mapping.actionNames.join(', ')}), got ${JSON.stringify(Array.from(data ?? [])).slice(0, 120)}`,
      );
      return;
    }
    this.options.mapping.actionToRawCommand(data, this.rawCommand);
    if (this.write(this.rawCommand, false)) this.watchdog.fresh();
  }

  private write(raw: Float64Array, safe: boolean): boolean {
    let ok: boolean;
    try {
      ok = this.options.link.writeCommand(raw, safe);
    } catch (err) {
      // An encoder refusing a value (out of the wire type's range) must not kill the node, and
      // the board must not keep executing the previous command: stop it now.
      this.stats.commandsRejected++;
      this.warnings.warn(`command not encodable: ${err instanceof Error ? err.message : String(err)}`);
      if (!safe) this.sendSafe();
      return false;
    }
    if (!ok) {
      this.stats.commandsDropped++;
      return false;
    }
    if (safe) this.stats.safeCommandsSent++;
    else this.stats.commandsSent++;
    return true;
  }

  private publishDiagnostics(): void {
    const now = performance.now();
    const seconds = Math.max((now - this.periodStartMs) / 1000, 1e-9);
    this.stats.watchdogTrips = this.watchdog.trips;
    const status = driverStatus({
      name: `${this.node.name}: ${this.options.deviceName}`,
      hardwareId: this.options.hardwareId,
      stats: this.stats,
      sensorRateHz: this.periodFrames / seconds,
      declaredSensorRateHz: this.options.declaredSensorRateHz,
      recentBadFrames: this.periodBad,
      watchdogActive: this.watchdog.isStale,
    });
    this.periodStartMs = now;
    this.periodFrames = 0;
    this.periodBad = 0;
    this.diagnostics.publish({ header: { stamp: this.node.now(), frame_id: '' }, status: [status] });
  }
}

function firstNonFinite(js: JointStateMsg, imus: ImuMsg[]): string | null {
  for (const [quantity, values] of [
    ['position', js.position],
    ['velocity', js.velocity],
    ['effort', js.effort],
  ] as const)
    for (let i = 0; i < values.length; i++)
      if (!Number.isFinite(values[i])) return `${js.name[i]} ${quantity}`;
  for (const imu of imus)
    for (const v of [imu.orientation, imu.angular_velocity, imu.linear_acceleration])
      for (const x of Object.values(v)) if (!Number.isFinite(x)) return `${imu.header.frame_id} IMU`;
  return null;
}

function formatRaw(raw: ArrayLike<number>): string {
  return `[${Array.from(raw, (v) => String(v)).join(', ')}]`;
}
