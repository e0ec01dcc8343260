/**
 * The controller of a robot config with its policies: random exploration, the operator's
 * teleop command, and for PETS the asynchronous MPC policy, whose planner starts on the first
 * model the trainer announces (model_update) and switches the controller from random to MPC.
 * Built synchronously, so a ROS 2 managed node can build it in its configure transition;
 * RobotStack (`mbrl run`, the `robot` node kind) and the managed `controller` node share it.
 */
import type { RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import { ControllerNode, type ControlMode } from '../nodes/controller/controller-node.js';
import { ModelSubscriber } from '../nodes/controller/model-subscriber.js';
import { AsyncPlanner } from '../planning/async-planner.js';
import type { PlannerProfile } from '../planning/planner-profile.js';
import { robotPlannerProfile } from '../planning/robot-planner-profile.js';
import { AsyncMpcPolicy } from '../policies/async-mpc-policy.js';
import type { Policy } from '../policies/policy.js';
import { RandomPolicy } from '../policies/random-policy.js';
import { TeleopPolicy } from '../policies/teleop-policy.js';
import type { Logger, RuntimeNode } from '../runtime/node-api.js';

export interface ControllerPartOptions {
  config: RobotConfig;
  task: LoadedTask;
  /** 'teleop': the operator's command only (data collection); 'run': the configured controller. */
  purpose: 'run' | 'teleop';
  seed: number;
  /** The node the controller runs on. */
  node: RuntimeNode;
  /** PETS: the node that follows model_update (may be `node`). */
  modelNode?: RuntimeNode;
  /** Build without starting the control loop (a managed node activates it). */
  inactive?: boolean;
  /** Where planner problems are reported; default the controller node's logger. */
  log?: Logger;
}

export class ControllerPart {
  readonly controller: ControllerNode;
  /** PETS: the planner profile the run plans with (the config's overrides applied). */
  readonly profile: PlannerProfile | null;
  private readonly models: ModelSubscriber | null;
  private planner: AsyncPlanner | null = null;
  private startingPlanner: AsyncPlanner | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: ControllerPartOptions) {
    const { config, task, node } = options;
    const t = task.task;
    this.log = options.log ?? node.logger;
    const actionDim = t.action.length;
    const teleopPolicy = new TeleopPolicy({ actionDim, timeoutSeconds: config.teleop.timeout_s });
    const policies: Partial<Record<Exclude<ControlMode, 'stop'>, Policy>> = { teleop: teleopPolicy };
    let mode: ControlMode = 'teleop';
    let mpc: AsyncMpcPolicy | null = null;
    const controllerConfig = config.controller;
    const pets = options.purpose === 'run' && controllerConfig.type === 'pets' ? controllerConfig : null;
    if (options.purpose === 'run') {
      if (controllerConfig.type === 'lqr-flm')
        throw new RangeError(
          'controller lqr-flm is run trial by trial: use `mbrl sim --controller lqr-flm` (hardware trials through `mbrl run` are not implemented yet)',
        );
      if (controllerConfig.type === 'random' || controllerConfig.type === 'pets') {
        policies.random = new RandomPolicy({
          low: t.action.map((a) => a.min),
          high: t.action.map((a) => a.max),
          seed: options.seed,
          smoothing: controllerConfig.type === 'random' ? controllerConfig.smoothing : 0.5,
        });
        mode = 'random';
      }
      if (pets) {
        mpc = new AsyncMpcPolicy({ actionDim, maxPlanAgeSeconds: Math.max(0.2, 5 / config.control.rate_hz) });
        policies.mpc = mpc;
      }
    }
    // Loaded before any node is touched, so a bad profile or override stops the run first.
    this.profile = pets ? robotPlannerProfile(t.name, pets) : null;
    teleopPolicy.subscribe(node);
    this.controller = new ControllerNode(node, {
      task: t,
      policies,
      mode,
      rateHz: config.control.rate_hz,
      staleTimeoutSeconds: config.control.stale_timeout_s,
      safeAction: config.control.safe_action,
      actionLimits: config.control.limits,
      frozenTimeoutSeconds: config.control.frozen_timeout_s,
      jointOffsets: config.control.joint_offsets,
      inactive: options.inactive,
      topics: {
        jointStates: config.topics.joint_states,
        command: config.topics.command,
        estop: config.topics.estop,
        mode: config.topics.mode,
        diagnostics: config.topics.diagnostics,
        jointCommands: config.topics.joint_commands,
      },
    });
    if (pets && mpc && this.profile) {
      const model = config.model;
      const e = this.profile.ensemble;
      if (
        e.members !== model.members ||
        e.hidden_layers !== model.hidden_layers ||
        e.hidden_units !== model.hidden_units
      )
        node.logger.warn(
          `model ${model.members} x ${model.hidden_layers}x${model.hidden_units} differs from the ${e.members} x ${e.hidden_layers}x${e.hidden_units} planner profile "${pets.profile}" was timed with: plans may miss the ${(1000 / config.control.rate_hz).toFixed(0)} ms period`,
        );
      const policy = mpc;
      const profile = this.profile;
      this.models = new ModelSubscriber(options.modelNode ?? node, {
        install: async ({ dir, version }) => this.installModel(policy, profile, dir, version),
      });
    } else {
      this.models = null;
    }
  }

  /** Whether a trainer belongs with this controller (PETS learns on the robot). */
  get learns(): boolean {
    return this.profile !== null;
  }

  get modelVersion(): number {
    return this.models?.version ?? 0;
  }

  /** The planner serving MPC, once the first model is installed (for monitoring: soak, status). */
  get activePlanner(): AsyncPlanner | null {
    return this.planner;
  }

  /**
   * Stop mode (safe action), the loop stopped, the planner threads stopped. Idempotent. The
   * controller's publishers stay until its node is destroyed.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.controller.setMode('stop');
    this.controller.destroy();
    const steps = await Promise.allSettled([this.planner?.stop(), this.startingPlanner?.stop()]);
    const failed = steps.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async installModel(
    policy: AsyncMpcPolicy,
    profile: PlannerProfile,
    dir: string,
    version: number,
  ): Promise<void> {
    // A model announced while stopping (a refit that finished late) must not start a planner.
    if (this.stopping) throw new Error('not installed: the controller is stopping');
    if (!this.planner) {
      const { task, config, seed } = this.options;
      const planner = new AsyncPlanner({
        taskFile: task.file,
        profile,
        model: { kind: 'artifact', dir, version },
        seed: seed + 2000,
        budgetMs: 1000 / config.control.rate_hz,
        backend: config.model.backend,
      });
      // Errors after start leave the controller on stale plans (safe action); say so.
      planner.on('error', (error) => this.log.warn(`planner: ${error.message}`));
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
        throw new Error('not installed: the controller is stopping');
      }
      this.planner = planner;
      policy.attach(planner);
      // The first model is what exploration was for: hand over to MPC unless the operator took over.
      if (this.controller.mode === 'random') this.controller.setMode('mpc');
      return;
    }
    // Resolves once the planner serves it; a model it refuses rejects, so the version stays.
    await this.planner.setModel({ kind: 'artifact', dir, version });
  }
}
