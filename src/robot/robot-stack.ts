/**
 * A robot run composed from its config: drivers (embedded simulator in real time, serial or
 * MQTT boards), the controller at the configured rate on the wall clock, the data logger
 * (every tick's transition to MCAP), and for PETS the trainer and the asynchronous planner.
 * `mbrl run` and `mbrl teleop` start one on the in-process bus; `mbrl ros robot` starts one on
 * ROS 2, and `mbrl ros <kind>` starts its parts as separate processes (ros-node-kinds.ts).
 *
 * PETS on a robot starts without a model unless one is given: the controller explores
 * (random, or teleop if the operator switches mode) until the first refit is accepted, then
 * the planner starts on that model and the controller switches to MPC by itself.
 */
import { join, resolve } from 'node:path';
import type { RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import type { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import type { ControllerNode } from '../nodes/controller/controller-node.js';
import type { DataLoggerNode } from '../nodes/data-logger/data-logger-node.js';
import type { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { JoystickDeviceNode } from '../nodes/teleop/joystick-device-node.js';
import { TeleopNode } from '../nodes/teleop/teleop-node.js';
import type { TrainerNode } from '../nodes/trainer/trainer-node.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import type { Logger, Transport } from '../runtime/node-api.js';
import type { AsyncPlanner } from '../planning/async-planner.js';
import { robotPlannerProfile } from '../planning/robot-planner-profile.js';
import { ControllerPart } from './controller-part.js';
import { createDrivers, type RobotDriver } from './device-drivers.js';
import { createRobotDataLogger, openRobotLogWriter } from './robot-data-logger.js';
import { createRobotTrainer } from './robot-trainer.js';

/** How long a driver may take to close (send its safe command, release the device). */
const CLOSE_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

export interface RobotStackOptions {
  config: RobotConfig;
  task: LoadedTask;
  /** 'teleop': operator input only (data collection); 'run': the configured controller. */
  purpose: 'run' | 'teleop';
  /** Overrides config.logger.dir. */
  logDir?: string;
  /** PETS: where refitted models go; default <logDir>/../models. */
  modelsDir?: string;
  seed?: number;
  /** Keyboard for the teleop node (teleop purpose, or run with `--teleop`). */
  keyboard?: TeleopKeyboardInput;
  /** Receives the teleop status line. */
  status?: (line: string) => void;
  onQuit?: () => void;
  /** A Linux joystick device (/dev/input/jsN) feeding the teleop node's joy topic. */
  joystick?: string;
  /** Run: also start a teleop node so the operator can take over (mode topic 'teleop'). */
  teleop?: boolean;
  /** What carries the messages: default a new in-process bus; ROS 2 for `mbrl ros robot`. */
  transport?: Transport;
}

export interface RobotRunSummary {
  ticks: number;
  rateHz: number;
  jitterP99Ms: number;
  deadlineMisses: number;
  safeTicks: number;
  transitions: number;
  logDir: string;
  /** The writer at close: records made durable, dropped while the disk failed, whether it still fails. */
  log: { durable: number; dropped: number; failing: boolean; lastError: string | null };
  modelVersion: number;
  drivers: { name: string; kind: string; stats: unknown }[];
}

export class RobotStack {
  readonly bus: Transport;
  readonly controller: ControllerNode;
  readonly logger: DataLoggerNode;
  readonly drivers: RobotDriver[];
  readonly teleop: TeleopNode | null;
  readonly joystick: JoystickDeviceNode | null;
  readonly trainer: TrainerNode | null;
  readonly logDir: string;
  private readonly part: ControllerPart;
  private started = false;
  private stopped: Promise<RobotRunSummary> | null = null;
  /** The stack's own log (shutdown and planner problems), like any node's. */
  private readonly log: Logger;
  private readonly writer: TransitionLogWriter;

  private constructor(
    private readonly options: RobotStackOptions,
    parts: {
      bus: Transport;
      writer: TransitionLogWriter;
      drivers: RobotDriver[];
      logDir: string;
    },
  ) {
    const { config, task } = options;
    const t = task.task;
    const { bus, writer, drivers } = parts;
    this.bus = bus;
    this.log = bus.createNode('robot_stack').logger;
    this.drivers = drivers;
    this.writer = writer;
    this.logDir = parts.logDir;
    const seed = options.seed ?? 1;
    const learns = options.purpose === 'run' && config.controller.type === 'pets';
    this.part = new ControllerPart({
      config,
      task,
      purpose: options.purpose,
      seed,
      node: bus.createNode('controller'),
      modelNode: learns ? bus.createNode('model_subscriber') : undefined,
      log: this.log,
    });
    this.controller = this.part.controller;
    this.logger = createRobotDataLogger(bus.createNode('data_logger'), config, task, writer, learns);
    this.teleop =
      options.purpose === 'teleop' || options.teleop
        ? new TeleopNode(bus.createNode('teleop'), {
            task: t,
            config: config.teleop,
            input: options.keyboard,
            status: options.status,
            onQuit: options.onQuit,
            topics: { estop: config.topics.estop, mode: config.topics.mode },
            // Beside another controller the operator switches modes: take over, hand back, stop.
            modeKeys: options.purpose === 'run',
          })
        : null;
    const joy = config.teleop.joy;
    if (options.joystick && !this.teleop)
      throw new RangeError('--joystick needs the teleop node (mbrl teleop, or mbrl run --teleop)');
    if (options.joystick && !joy)
      throw new RangeError(
        '--joystick needs a teleop.joy section in the robot config (which axes drive which actions)',
      );
    this.joystick =
      options.joystick && joy
        ? new JoystickDeviceNode(bus.createNode('joystick'), { path: options.joystick, topic: joy.topic })
        : null;
    this.trainer = learns
      ? createRobotTrainer(bus.createNode('trainer'), {
          config,
          task,
          seed,
          logDir: this.logDir,
          modelsDir: options.modelsDir ?? join(this.logDir, '..', 'models'),
          beforeLoad: () => writer.flush(),
        })
      : null;
  }

  static async create(options: RobotStackOptions): Promise<RobotStack> {
    const { config, task } = options;
    const t = task.task;
    if (options.purpose === 'run' && config.controller.type === 'lqr-flm')
      throw new RangeError(
        'controller lqr-flm is run trial by trial: use `mbrl sim --controller lqr-flm` (hardware trials through `mbrl run` are not implemented yet)',
      );
    // Checked before drivers, log or threads start (loadRobotRunConfig also reports it at its line).
    if (options.purpose === 'run' && config.controller.type === 'pets')
      robotPlannerProfile(t.name, config.controller);
    const logDir = resolve(options.logDir ?? config.logger.dir);
    const bus = options.transport ?? new InProcessBus();
    let drivers: RobotDriver[] = [];
    let writer: TransitionLogWriter | null = null;
    try {
      // Drivers first: their files are validated before the log is opened or a thread started.
      drivers = await createDrivers({
        bus,
        config,
        task,
        seed: options.seed ?? 1,
        topics: { jointStates: config.topics.joint_states, command: config.topics.command },
      });
      writer = await openRobotLogWriter(config, task, logDir);
      return new RobotStack(options, { bus, writer, drivers, logDir });
    } catch (error) {
      // Nothing half-configured is left behind: no timers keeping the process alive, no lock.
      await Promise.allSettled(drivers.map((d) => withTimeout(d.close(), CLOSE_TIMEOUT_MS)));
      await writer?.close().catch(() => undefined);
      await bus.shutdown();
      throw error;
    }
  }

  get modelVersion(): number {
    return this.part.modelVersion;
  }

  /** PETS: the planner serving MPC once the first model is in (for monitoring), else null. */
  get planner(): AsyncPlanner | null {
    return this.part.activePlanner;
  }

  /** Starts drivers, the teleop input and the control loop (one long episode). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const d of this.drivers) d.start();
    this.teleop?.start();
    this.joystick?.start();
    this.controller.resetEpisode();
  }

  /**
   * Puts the controller in stop (safe action), closes drivers (each sends its safe command),
   * stops the planner and trainer and closes the log (flushing every transition).
   * Idempotent: a second call returns the first call's summary.
   */
  stop(): Promise<RobotRunSummary> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<RobotRunSummary> {
    const timing = this.controller.timingSummary();
    // Stop mode and the loop stopped first; the planner threads stop with the rest below.
    const partStopped = this.part.stop();
    this.joystick?.destroy();
    this.teleop?.destroy();
    // A snapshot while running: closing marks drivers disconnected and counts the final safe command.
    const driverStats = this.drivers.map((d) => ({
      name: d.name,
      kind: d.kind,
      stats: structuredClone(d.stats()),
    }));
    let teardownError: PromiseRejectedResult | undefined;
    let logStats: RobotRunSummary['log'] | undefined;
    try {
      // Every driver sends its safe command on close; one that hangs must not keep the others
      // (or the log) from closing.
      const closed = await Promise.allSettled(
        this.drivers.map((d) => withTimeout(d.close(), CLOSE_TIMEOUT_MS)),
      );
      closed.forEach((r, i) => {
        if (r.status === 'rejected') this.warn(`${this.drivers[i].name}: close failed: ${String(r.reason)}`);
      });
      this.logger.destroy();
    } finally {
      // Each step runs even if an earlier one fails (a log that cannot be closed on a full
      // disk must not leave the trainer and planner threads keeping the process alive).
      const steps = await Promise.allSettled([this.writer.close(), this.trainer?.close(), partStopped]);
      const log = this.writer.stats;
      logStats = {
        durable: log.durable,
        dropped: log.dropped,
        failing: log.failing,
        lastError: log.lastError?.message ?? null,
      };
      await this.bus.shutdown();
      teardownError = steps.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    }
    if (teardownError) throw teardownError.reason;
    return {
      ticks: timing.ticks,
      rateHz: timing.rateHz,
      jitterP99Ms: timing.jitterP99Ms,
      deadlineMisses: timing.deadlineMisses,
      safeTicks: this.controller.stats.safeTicks,
      transitions: this.logger.stats.transitions,
      logDir: this.logDir,
      log: logStats ?? { durable: 0, dropped: 0, failing: false, lastError: null },
      modelVersion: this.modelVersion,
      drivers: driverStats,
    };
  }

  private warn(message: string): void {
    this.log.warn(message);
  }
}
