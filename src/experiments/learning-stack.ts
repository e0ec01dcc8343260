/**
 * The learning half of the closed loop, composed from the same nodes a robot runs: the data
 * logger (control ticks -> transitions -> MCAP), the trainer (refit on request, versioned
 * artifacts, acceptance on a stable holdout) and the controller's model subscriber (load the
 * announced artifact, swap it in between ticks). The MPC policy plans in lockstep with the
 * serving model; `mbrl sim --controller pets` drives this from its episode loop.
 */
import { join } from 'node:path';
import type { LoadedTask } from '../config/task-loader.js';
import type { Task } from '../config/task-schema.js';
import { recordsToBatch } from '../datalog/records-to-batch.js';
import type { TransitionRecord } from '../datalog/transition-record.js';
import { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import { loadEnsemble } from '../models/ensemble-artifact.js';
import type { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import { ensembleSpecForTask } from '../models/ensemble-spec-for-task.js';
import type { TrainingHyperparameters } from '../models/member-training.js';
import { initTfBackend, type BackendPreference } from '../models/tf-backend.js';
import { nearestRank } from '../math/percentile.js';
import { predictionError } from '../models/prediction-error.js';
import { ModelSchema } from '../config/robot-schema.js';
import { ModelSubscriber } from '../nodes/controller/model-subscriber.js';
import { DataLoggerNode, type TransitionSink } from '../nodes/data-logger/data-logger-node.js';
import { TrainerNode } from '../nodes/trainer/trainer-node.js';
import { buildMpcPlanner } from '../planning/build-mpc-planner.js';
import type { Plan } from '../planning/mpc-planner.js';
import type { PlannerProfile } from '../planning/planner-profile.js';
import { MpcPolicy } from '../policies/mpc-policy.js';
import type { InProcessBus } from '../runtime/in-process-bus.js';

export interface LearningStackOptions {
  bus: InProcessBus;
  loaded: LoadedTask;
  profile: PlannerProfile;
  outDir: string;
  seed: number;
  /** Training overrides (epochs, learning rate, ...); the ensemble layout comes from the profile. */
  training?: Partial<TrainingHyperparameters>;
  /** Ask for a refit every N transitions as well as after each episode; 0 = only after episodes. */
  refitEveryTransitions?: number;
  /** Per-plan compute budget in ms (anytime planning); default none. */
  budgetMs?: number;
  flushIntervalS?: number;
  backend?: BackendPreference;
}

/** Per-episode figures the experiment reports. */
export interface EpisodeLearningStats {
  modelVersion: number;
  plans: number;
  planningMsP50: number | null;
  planningMsP95: number | null;
  /** Plans that took longer than the control period. */
  deadlineMisses: number;
  /** One-step error of the model that acted, on this episode's transitions (null: no model). */
  predictionError: number | null;
  transitions: number;
}

export class LearningStack {
  readonly policy: MpcPolicy;
  readonly logger: DataLoggerNode;
  readonly trainer: TrainerNode;
  readonly models: ModelSubscriber;
  readonly modelsDir: string;
  readonly logDir: string;
  private serving: EnsembleDynamics | null = null;
  private planMs: number[] = [];
  private episode = 0;
  private readonly episodeRecords: TransitionRecord[] = [];
  private readonly plansOut: string[] = [];

  private constructor(
    private readonly options: LearningStackOptions,
    private readonly writer: TransitionLogWriter,
    private readonly task: Task,
  ) {
    const { bus, profile, seed } = options;
    this.logDir = join(options.outDir, 'logs');
    this.modelsDir = join(options.outDir, 'models');
    this.policy = new MpcPolicy({
      actionDim: task.action.length,
      budgetMs: options.budgetMs,
      onPlan: (plan) => this.onPlan(plan),
    });
    const sink: TransitionSink = {
      append: (record) => {
        writer.append(record);
        this.episodeRecords.push(record);
      },
    };
    this.logger = new DataLoggerNode(bus.createNode('data_logger', { useSimTime: true }), {
      task,
      sink,
      refitEveryTransitions: options.refitEveryTransitions ?? 0,
    });
    const model = ModelSchema.parse({
      members: profile.ensemble.members,
      elites: profile.ensemble.members,
      hidden_layers: profile.ensemble.hidden_layers,
      hidden_units: profile.ensemble.hidden_units,
    });
    const t = options.training ?? {};
    this.trainer = new TrainerNode(bus.createNode('trainer', { useSimTime: true }), {
      spec: ensembleSpecForTask(task, model),
      hyper: {
        epochs: t.epochs ?? model.epochs,
        // PETS trains with minibatches of 32 (Chua et al. 2018 code); a 200-step episode is
        // then a few dozen updates per epoch rather than one.
        batchSize: t.batchSize ?? 32,
        learningRate: t.learningRate ?? model.learning_rate,
        weightDecay: t.weightDecay ?? model.weight_decay,
        patience: t.patience ?? 5,
        improvementThreshold: t.improvementThreshold ?? 0.01,
        bootstrap: t.bootstrap ?? true,
      },
      elites: model.elites,
      holdoutRatio: model.holdout_ratio,
      seed: seed + 1000,
      modelsDir: this.modelsDir,
      warmStart: true,
      data: { kind: 'log', dir: this.logDir, beforeLoad: () => writer.flush() },
      minTransitions: 20,
    });
    let plannerSeed = seed + 2000;
    this.models = new ModelSubscriber(bus.createNode('model_subscriber', { useSimTime: true }), {
      install: async ({ dir, version }) => {
        const { dynamics } = await loadEnsemble(dir);
        // Runs between ticks: the bus delivers nothing while a tick is in progress.
        if (!this.policy.hasPlanner)
          this.policy.setPlanner(
            await buildMpcPlanner({
              task,
              profile,
              model: dynamics,
              modelVersion: version,
              seed: plannerSeed++,
              dt: task.dt,
            }),
            version,
          );
        else this.policy.setModel(dynamics, version);
        this.serving?.dispose();
        this.serving = dynamics;
      },
    });
  }

  static async create(options: LearningStackOptions): Promise<LearningStack> {
    const { task } = options.loaded;
    // Prediction and planning on this thread need a tfjs backend; training picks its own in workers.
    await initTfBackend({ preference: options.backend ?? 'auto' });
    const writer = await TransitionLogWriter.open({
      dir: join(options.outDir, 'logs'),
      task: {
        name: task.name,
        stateNames: task.state.map((s) => s.name),
        actionNames: task.action.map((a) => a.name),
      },
      flushIntervalS: options.flushIntervalS ?? 1,
      rotateBytes: 256 * 1024 * 1024,
    });
    return new LearningStack(options, writer, task);
  }

  get modelVersion(): number {
    return this.models.version;
  }

  /** Starts an episode's bookkeeping. */
  beginEpisode(episode: number): void {
    this.episode = episode;
    this.planMs = [];
    this.episodeRecords.length = 0;
  }

  /** Figures for the episode just run (call before refitting). */
  endEpisode(): EpisodeLearningStats {
    const sorted = [...this.planMs].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? nearestRank(sorted, p) : null);
    const periodMs = this.task.dt * 1000;
    // The error of the model that acted, on what it met (before the refit that learns from it).
    const error =
      this.serving && this.episodeRecords.length > 0
        ? predictionError(
            this.serving,
            recordsToBatch(this.episodeRecords, this.task.state.length, this.task.action.length),
          ).normalizedMse
        : null;
    return {
      modelVersion: this.models.version,
      plans: this.planMs.length,
      planningMsP50: q(0.5),
      planningMsP95: q(0.95),
      deadlineMisses: this.planMs.filter((ms) => ms > periodMs).length,
      predictionError: error,
      transitions: this.episodeRecords.length,
    };
  }

  /** Asks for a refit and waits until the result is in service (or rejected). */
  async refitNow(reason: string): Promise<void> {
    this.logger.requestRefit(reason);
    await this.settle();
  }

  /** Waits for running refits and model loads (lockstep keeps the loop deterministic). */
  async settle(): Promise<void> {
    await this.trainer.idle();
    await this.models.idle();
  }

  get busy(): boolean {
    return this.trainer.busy;
  }

  /** Per-plan samples since the last call, as JSON lines (each ending in a newline). */
  takePlanLines(): string {
    return this.plansOut.splice(0).join('');
  }

  async close(): Promise<void> {
    this.logger.destroy();
    await this.trainer.close();
    await this.writer.close();
    this.serving?.dispose();
    this.serving = null;
  }

  private onPlan(plan: Plan): void {
    this.planMs.push(plan.computeMs);
    this.plansOut.push(
      JSON.stringify({
        episode: this.episode,
        stamp: plan.stamp,
        compute_ms: plan.computeMs,
        iterations: plan.iterations,
        predicted_return: plan.predictedReturn,
        return_std: plan.returnStd,
        model_version: plan.modelVersion,
      }) + '\n',
    );
  }
}
