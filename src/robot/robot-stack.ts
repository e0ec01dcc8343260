/**
 * A robot run composed from its config: drivers (embedded simulator in real time, serial or
 * MQTT boards), the controller at the configured rate on the wall clock, the data logger
 * (every tick's transition to MCAP), and for PETS the trainer and the asynchronous planner.
 * `mbrl run` and `mbrl teleop` start one; ROS 2 launch files start the same nodes as
 * separate processes (issue 8).
 *
 * PETS on a robot starts without a model unless one is given: the controller explores
 * (random, or teleop if the operator switches mode) until the first refit is accepted, then
 * the planner starts on that model and the controller switches to MPC by itself.
 */
import { join, resolve } from 'node:path';
import type { RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import { ensembleSpecForTask } from '../models/ensemble-spec-for-task.js';
import { ControllerNode, type ControlMode } from '../nodes/controller/controller-node.js';
import { ModelSubscriber } from '../nodes/controller/model-subscriber.js';
import { DataLoggerNode } from '../nodes/data-logger/data-logger-node.js';
import type { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { JoystickDeviceNode } from '../nodes/teleop/joystick-device-node.js';
import { TeleopNode } from '../nodes/teleop/teleop-node.js';
import { TrainerNode } from '../nodes/trainer/trainer-node.js';
import { AsyncPlanner } from '../planning/async-planner.js';
import type { PlannerProfile } from '../planning/planner-profile.js';
import { robotPlannerProfile } from '../planning/robot-planner-profile.js';
import { AsyncMpcPolicy } from '../policies/async-mpc-policy.js';
import type { Policy } from '../policies/policy.js';
import { RandomPolicy } from '../policies/random-policy.js';
import { TeleopPolicy } from '../policies/teleop-policy.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import type { Logger } from '../runtime/node-api.js';
import { createDrivers, type RobotDriver } from './device-drivers.js';

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
}

export interface RobotRunSummary {
  ticks: number;
  rateHz: number;
  jitterP99Ms: number;
  deadlineMisses: number;
  safeTicks: number;
  transitions: number;
  logDir: string;
  modelVersion: number;
  drivers: { name: string; kind: string; stats: unknown }[];
}

export class RobotStack {
  readonly bus: InProcessBus;
  readonly controller: ControllerNode;
  readonly logger: DataLoggerNode;
  readonly drivers: RobotDriver[];
  readonly teleop: TeleopNode | null;
  readonly joystick: JoystickDeviceNode | null;
  readonly trainer: TrainerNode | null;
  readonly logDir: string;
  private planner: AsyncPlanner | null = null;
  private startingPlanner: AsyncPlanner | null = null;
  /** PETS: the planner profile the run plans with (the config's overrides applied). */
  private profile: PlannerProfile | null = null;
  private readonly models: ModelSubscriber | null;
  private started = false;
  private stopping = false;
  private stopped: Promise<RobotRunSummary> | null = null;
  /** The stack's own log (shutdown and planner problems), like any node's. */
  private readonly log: Logger;
  private readonly writer: TransitionLogWriter;

  private constructor(
    private readonly options: RobotStackOptions,
    parts: {
      bus: InProcessBus;
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
    const actionDim = t.action.length;
    const teleopPolicy = new TeleopPolicy({ actionDim, timeoutSeconds: config.teleop.timeout_s });
    const policies: Partial<Record<Exclude<ControlMode, 'stop'>, Policy>> = { teleop: teleopPolicy };
    let mode: ControlMode = 'teleop';
    let mpc: AsyncMpcPolicy | null = null;
    const controllerConfig = config.controller;
    const pets = options.purpose === 'run' && controllerConfig.type === 'pets' ? controllerConfig : null;
    if (options.purpose === 'run') {
      if (controllerConfig.type === 'random' || controllerConfig.type === 'pets') {
        policies.random = new RandomPolicy({
          low: t.action.map((a) => a.min),
          high: t.action.map((a) => a.max),
          seed,
          smoothing: controllerConfig.type === 'random' ? controllerConfig.smoothing : 0.5,
        });
        mode = 'random';
      }
      if (pets) {
        // Loaded now so a bad profile or override stops the run before it starts.
        this.profile = robotPlannerProfile(t.name, pets);
        mpc = new AsyncMpcPolicy({ actionDim, maxPlanAgeSeconds: Math.max(0.2, 5 / config.control.rate_hz) });
        policies.mpc = mpc;
      }
    }
    const controllerNode = bus.createNode('controller');
    teleopPolicy.subscribe(controllerNode);
    this.controller = new ControllerNode(controllerNode, {
      task: t,
      policies,
      mode,
      rateHz: config.control.rate_hz,
      staleTimeoutSeconds: config.control.stale_timeout_s,
      safeAction: config.control.safe_action,
      actionLimits: config.control.limits,
      topics: {
        jointStates: config.topics.joint_states,
        command: config.topics.command,
        estop: config.topics.estop,
        mode: config.topics.mode,
        diagnostics: config.topics.diagnostics,
        jointCommands: config.topics.joint_commands,
      },
    });
    const refits = pets !== null;
    this.logger = new DataLoggerNode(bus.createNode('data_logger'), {
      task: t,
      sink: writer,
      refitEveryTransitions: refits ? config.logger.refit_every_transitions : 0,
      refitEverySeconds: refits ? config.logger.refit_every_s : 0,
    });
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
    if (pets && mpc && this.profile) {
      const model = config.model;
      const e = this.profile.ensemble;
      if (
        e.members !== model.members ||
        e.hidden_layers !== model.hidden_layers ||
        e.hidden_units !== model.hidden_units
      )
        controllerNode.logger.warn(
          `model ${model.members} x ${model.hidden_layers}x${model.hidden_units} differs from the ${e.members} x ${e.hidden_layers}x${e.hidden_units} planner profile "${pets.profile}" was timed with: plans may miss the ${(1000 / config.control.rate_hz).toFixed(0)} ms period`,
        );
      const modelsDir = options.modelsDir ?? join(this.logDir, '..', 'models');
      this.trainer = new TrainerNode(bus.createNode('trainer'), {
        spec: ensembleSpecForTask(t, model),
        hyper: {
          epochs: model.epochs,
          batchSize: model.batch_size,
          learningRate: model.learning_rate,
          weightDecay: model.weight_decay,
          patience: 5,
          improvementThreshold: 0.01,
          bootstrap: true,
        },
        elites: model.elites,
        holdoutRatio: model.holdout_ratio,
        seed: seed + 1000,
        modelsDir,
        warmStart: true,
        data: { kind: 'log', dir: this.logDir, beforeLoad: () => writer.flush() },
        minTransitions: Math.min(200, config.logger.refit_every_transitions || 200),
      });
      const policy = mpc;
      const profile = this.profile;
      this.models = new ModelSubscriber(bus.createNode('model_subscriber'), {
        install: async ({ dir, version }) => this.installModel(policy, profile, dir, version),
      });
    } else {
      this.trainer = null;
      this.models = null;
    }
  }

  static async create(options: RobotStackOptions): Promise<RobotStack> {
    const { config, task } = options;
    const t = task.task;
    if (options.purpose === 'run' && config.controller.type === 'lqr-flm')
      throw new RangeError(
        'controller lqr-flm is run trial by trial: use `mbrl sim --controller lqr-flm` (hardware trials through `mbrl run` are not implemented yet)',
      );
    const logDir = resolve(options.logDir ?? config.logger.dir);
    const bus = new InProcessBus();
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
      writer = await TransitionLogWriter.open({
        dir: logDir,
        task: {
          name: t.name,
          stateNames: t.state.map((s) => s.name),
          actionNames: t.action.map((a) => a.name),
        },
        flushIntervalS: config.logger.flush_interval_s,
        rotateBytes: config.logger.rotate_bytes,
      });
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
    return this.models?.version ?? 0;
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
   */
  /** Idempotent: a second call returns the first call's summary. */
  stop(): Promise<RobotRunSummary> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<RobotRunSummary> {
    this.stopping = true;
    this.controller.setMode('stop');
    const timing = this.controller.timingSummary();
    this.joystick?.destroy();
    this.teleop?.destroy();
    this.controller.destroy();
    // A snapshot while running: closing marks drivers disconnected and counts the final safe command.
    const driverStats = this.drivers.map((d) => ({
      name: d.name,
      kind: d.kind,
      stats: structuredClone(d.stats()),
    }));
    let teardownError: PromiseRejectedResult | undefined;
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
      const steps = await Promise.allSettled([
        this.writer.close(),
        this.trainer?.close(),
        this.planner?.stop(),
        this.startingPlanner?.stop(),
      ]);
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
      modelVersion: this.modelVersion,
      drivers: driverStats,
    };
  }

  private warn(message: string): void {
    this.log.warn(message);
  }

  private async installModel(
    policy: AsyncMpcPolicy,
    profile: PlannerProfile,
    dir: string,
    version: number,
  ): Promise<void> {
    // A model announced while stopping (a refit that finished late) must not start a planner.
    if (this.stopping) throw new Error('not installed: the robot is stopping');
    if (!this.planner) {
      const { task, config } = this.options;
      const planner = new AsyncPlanner({
        taskFile: task.file,
        profile,
        model: { kind: 'artifact', dir, version },
        seed: (this.options.seed ?? 1) + 2000,
        budgetMs: 1000 / config.control.rate_hz,
        backend: config.model.backend,
      });
      // Errors after start leave the controller on stale plans (safe action); say so.
      planner.on('error', (error) => this.warn(`planner: ${error.message}`));
      // Shutdown stops a planner that is still starting (its ready may never settle).
      this.startingPlanner = planner;
      try {
        await planner.ready;
      } catch (error) {
        await planner.stop();
        throw error;
      } finally {
        this.startingPlanner = null;
      }
      if (this.stopping) {
        await planner.stop();
        throw new Error('not installed: the robot is stopping');
      }
      this.planner = planner;
      policy.attach(planner);
      // The first model is what exploration was for: hand over to MPC unless the operator took over.
      if (this.controller.mode === 'random') this.controller.setMode('mpc');
      return;
    }
    this.planner.setModel({ kind: 'artifact', dir, version });
  }
}
