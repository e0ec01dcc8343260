/**
 * The trainer as a node: on each refit request (std_msgs/String on `refit_request`, from
 * the data logger) it loads the logged transitions, refits the ensemble off the control
 * thread (worker threads; see refitEnsemble) and, when the refit predicts at least as well
 * as the serving model on the same holdout, announces the new artifact on the latched
 * `model_update` topic (std_msgs/String, JSON { version, dir, holdout_error }). Requests
 * that arrive during a refit are coalesced into one more run afterwards. A refit worker that
 * dies (crash, out of memory, terminated) is reported like a failed refit: the serving model
 * stays and the next request starts a new worker.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { EnsembleDynamics } from '../../models/ensemble-dynamics.js';
import type { TrainingProgressEvent } from '../../models/ensemble-trainer.js';
import { refitEnsemble, type RefitOptions } from '../../models/ensemble-refit.js';
import type { TransitionBatch } from '../../models/transition-batch.js';
import type { Publisher, RuntimeNode } from '../../runtime/node-api.js';
import type { RefitWorkerData, RefitWorkerMessage, RefitWorkerResult } from './refit-worker.js';
import { outcomeFigures, type TrainerOutcome } from './trainer-outcome.js';

export type { TrainerOutcome } from './trainer-outcome.js';

/**
 * Where the training data comes from: a transition log directory, read and refitted in a
 * worker thread (the robot path: the node's own thread only waits), or a loader called on
 * this thread with the refit's training itself still in workers (tests, scripts).
 */
export type TrainerData =
  | { kind: 'log'; dir: string; beforeLoad?: () => Promise<unknown> }
  | { kind: 'loader'; load: () => Promise<TransitionBatch> };

export interface TrainerNodeOptions extends Omit<RefitOptions, 'data' | 'current' | 'seed'> {
  data: TrainerData;
  /** Base seed; refit k uses seed + k so every refit draws its own bootstrap. */
  seed: number;
  /** The model already serving (its version continues the numbering). */
  initial?: { version: number; dir: string; dynamics?: EnsembleDynamics };
  /** Refits below this many transitions are skipped. */
  minTransitions?: number;
  topics?: { refitRequest?: string; modelUpdate?: string };
  /** Called with each refit worker as it starts (diagnostics; fault-injection tests terminate it). */
  onRefitWorker?: (worker: Worker) => void;
}

export interface TrainerStats {
  requests: number;
  refits: number;
  accepted: number;
  /** Refits not used: worse than the serving model, or failed (crashes included). */
  rejected: number;
  /** Refit workers that died before reporting (crash, out of memory, terminated). */
  crashed: number;
}

interface Serving {
  version: number;
  dir: string;
  dynamics?: EnsembleDynamics;
}

export class TrainerNode extends EventEmitter<{
  outcome: [TrainerOutcome];
  /** Per member-epoch while a refit trains (worker refits report from the worker). */
  progress: [TrainingProgressEvent];
}> {
  readonly stats: TrainerStats = { requests: 0, refits: 0, accepted: 0, rejected: 0, crashed: 0 };
  private current: Serving | null;
  private readonly updates: Publisher<'std_msgs/msg/String'>;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** The refit worker while one runs (close() terminates it). */
  private worker: Worker | null = null;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: TrainerNodeOptions,
  ) {
    super();
    this.current = options.initial ?? null;
    const topics = options.topics ?? {};
    this.updates = node.createPublisher('std_msgs/msg/String', topics.modelUpdate ?? 'model_update', {
      qos: 'latched',
    });
    node.createSubscription('std_msgs/msg/String', topics.refitRequest ?? 'refit_request', () =>
      this.request(),
    );
  }

  /** The version serving now (0 = none). */
  get version(): number {
    return this.current?.version ?? 0;
  }

  /** A refit is running or queued. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Starts a refit now, or once more after the one running. */
  request(): void {
    if (this.closed) return;
    this.stats.requests++;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Resolves when no refit is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops: a refit in progress is abandoned (its worker terminated) and nothing more is announced. */
  async close(): Promise<void> {
    this.closed = true;
    this.again = false;
    void this.worker?.terminate();
    await this.idle();
    this.current?.dynamics?.dispose();
    this.current = null;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const outcome =
        this.options.data.kind === 'log'
          ? await this.refitInWorker(this.options.data)
          : await this.refitHere(this.options.data.load);
      if (outcome && !this.closed) this.finish(outcome);
    } while (this.again && !this.closed);
  }

  private refitOptions(): Omit<RefitOptions, 'data' | 'current'> {
    // Only data for the refit: a function here could not be sent to the worker.
    const {
      data: _data,
      initial: _initial,
      minTransitions: _min,
      topics: _topics,
      onRefitWorker: _onWorker,
      ...rest
    } = this.options;
    return { ...rest, seed: this.options.seed + this.stats.refits };
  }

  private async refitHere(load: () => Promise<TransitionBatch>): Promise<TrainerOutcome | null> {
    let data: TransitionBatch;
    try {
      data = await load();
    } catch (error) {
      return { accepted: false, reason: `could not load transitions: ${(error as Error).message}` };
    }
    if (data.count < (this.options.minTransitions ?? 1)) return null;
    this.stats.refits++;
    const current = this.current?.dynamics
      ? { dynamics: this.current.dynamics, version: this.current.version }
      : null;
    const outcome = await refitEnsemble({
      ...this.refitOptions(),
      data,
      current,
      onProgress: (event) => this.emit('progress', event),
    });
    if (!outcome.accepted) return outcome;
    this.current?.dynamics?.dispose();
    this.current = { version: outcome.version, dir: outcome.dir, dynamics: outcome.dynamics };
    return outcomeFigures(outcome);
  }

  private async refitInWorker(data: Extract<TrainerData, { kind: 'log' }>): Promise<TrainerOutcome | null> {
    try {
      await data.beforeLoad?.();
    } catch (error) {
      return { accepted: false, reason: `could not flush the log: ${(error as Error).message}` };
    }
    // close() may have come while the log was being flushed: no refit to start then.
    if (this.closed) return null;
    this.stats.refits++;
    const workerData: RefitWorkerData = {
      options: this.refitOptions(),
      logDir: data.dir,
      minTransitions: this.options.minTransitions ?? 1,
      current: this.current ? { dir: this.current.dir, version: this.current.version } : null,
    };
    type Crashed = { type: 'crashed'; reason: string };
    const result = await new Promise<RefitWorkerResult | Crashed>((resolve) => {
      const worker = new Worker(new URL('./refit-worker.js', import.meta.url), { workerData });
      this.worker = worker;
      let settled = false;
      let crash = '';
      const settle = (r: RefitWorkerResult | Crashed) => {
        if (settled) return;
        settled = true;
        this.worker = null;
        resolve(r);
        void worker.terminate();
      };
      worker.on('message', (message: RefitWorkerMessage) => {
        if (message.type === 'progress') this.emit('progress', message.progress);
        else settle(message);
      });
      // 'error' (an uncaught exception) is followed by 'exit'; the reason names both.
      worker.on('error', (e) => (crash = `: ${e.message}`));
      worker.once('exit', (code) =>
        settle({ type: 'crashed', reason: `refit worker died (exit code ${code}${crash}) before reporting` }),
      );
      this.options.onRefitWorker?.(worker);
    });
    if (result.type === 'crashed') {
      // close() terminating the worker is not a crash (and nothing is reported then).
      if (!this.closed) this.stats.crashed++;
      return { accepted: false, reason: result.reason };
    }
    if (result.type === 'skipped') {
      this.stats.refits--;
      return null;
    }
    const { type: _t, ...outcome } = result;
    if (outcome.accepted && outcome.version !== undefined && outcome.dir !== undefined) {
      this.current?.dynamics?.dispose();
      this.current = { version: outcome.version, dir: outcome.dir };
    }
    return outcome;
  }

  private finish(outcome: TrainerOutcome): void {
    if (outcome.accepted) {
      this.stats.accepted++;
      this.node.logger.info(
        `model v${outcome.version} from ${outcome.transitions} transitions in ${outcome.trainingSeconds?.toFixed(1)} s (holdout error ${outcome.holdoutError?.toFixed(4)})`,
      );
      this.updates.publish({
        data: JSON.stringify({
          version: outcome.version,
          dir: outcome.dir,
          holdout_error: outcome.holdoutError,
        }),
      });
    } else {
      this.stats.rejected++;
      this.node.logger.warn(`refit not used: ${outcome.reason}`);
    }
    this.emit('outcome', outcome);
  }
}
