/**
 * MPC planning off the control thread: a worker re-plans continuously from the newest
 * state snapshot, and the controller reads `latest` whenever its timer fires, never
 * waiting (mjpc's planner/agent split). Plans carry their stamp, predicted return,
 * uncertainty, iterations and compute time, so the consumer can judge their age; failures
 * and plans over budget are counted so the consumer can say why its plans are old.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Plan } from './mpc-planner.js';
import type {
  FromPlannerWorker,
  ModelSource,
  PlannerWorkerData,
  ToPlannerWorker,
} from './planner-worker-loop.js';

export type { ModelSource } from './planner-worker-loop.js';

export interface AsyncPlannerEvents {
  plan: [Plan];
  model: [number];
  error: [Error];
}

/** Another worker script running runPlannerWorker with hooks (fault-injection tests). */
export interface PlannerWorkerScript {
  url: URL;
  /** Extra workerData fields for that script. */
  data?: Record<string, unknown>;
}

interface ModelWaiter {
  version: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class AsyncPlanner extends EventEmitter<AsyncPlannerEvents> {
  /** The newest plan, or null before the first. */
  latest: Plan | null = null;
  plans = 0;
  errors = 0;
  /** Plans whose planning call took longer than the budget (the plan arrives late). */
  overruns = 0;
  /** Live tfjs tensors in the worker, as of the newest plan (-1 before the first). */
  workerTensors = -1;
  /** Why no plan has come since `latest` (a failed plan, a crashed worker); null after a plan. */
  planFailure: Error | null = null;
  readonly ready: Promise<string>;
  private readonly worker: Worker;
  private readonly waiters: ModelWaiter[] = [];
  private closed = false;

  constructor(
    private readonly options: PlannerWorkerData,
    script?: PlannerWorkerScript,
  ) {
    super();
    this.worker = new Worker(script?.url ?? new URL('./planner-worker.js', import.meta.url), {
      workerData: { ...(script?.data ?? {}), ...options },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (msg: FromPlannerWorker) => {
        switch (msg.type) {
          case 'ready':
            resolve(msg.backend);
            break;
          case 'plan':
            this.latest = msg.plan;
            this.plans++;
            if (msg.wallMs > this.options.budgetMs) this.overruns++;
            this.workerTensors = msg.numTensors;
            this.planFailure = null;
            this.emit('plan', msg.plan);
            break;
          case 'model':
            this.settleModels(msg.version, null);
            this.emit('model', msg.version);
            break;
          case 'error': {
            const error = new Error(`planner ${msg.during} failed: ${msg.message}`);
            if (msg.during === 'start') reject(error);
            if (msg.during === 'plan') this.planFailure = error;
            if (msg.during === 'model' && msg.version !== undefined) this.settleModels(msg.version, error);
            this.errors++;
            if (this.listenerCount('error') > 0) this.emit('error', error);
            break;
          }
        }
      });
      this.worker.on('error', (error) => {
        reject(error);
        this.errors++;
        const crashed = new Error(`planner worker crashed: ${error.message}`);
        this.planFailure = crashed;
        this.rejectModels(crashed);
        if (this.listenerCount('error') > 0) this.emit('error', crashed);
      });
    });
    this.ready.catch(() => undefined);
  }

  /** The state to plan from next; replaces any snapshot the worker has not started on. */
  setState(state: ArrayLike<number>, stamp: number, previousAction: ArrayLike<number> | null = null): void {
    if (this.closed) return;
    this.send({
      type: 'state',
      state: Float32Array.from(state),
      stamp,
      previousAction: previousAction ? Float32Array.from(previousAction) : null,
    });
  }

  /**
   * Swaps the model between plans. Resolves when it is in service ('model' fires too);
   * rejects, naming the artifact, when it fails to load or does not fit the task (the
   * working model stays), or when a newer request replaced it before it was loaded.
   * Ignoring the promise is safe: a refusal is never an unhandled rejection.
   */
  setModel(model: ModelSource): Promise<void> {
    const version = model.kind === 'artifact' ? model.version : 0;
    const done = new Promise<void>((resolve, reject) => {
      if (this.closed) reject(new Error('planner stopped'));
      else this.waiters.push({ version, resolve, reject });
    });
    done.catch(() => undefined);
    if (!this.closed) this.send({ type: 'model', model });
    return done;
  }

  /** Forget the warm start (new episode). */
  reset(): void {
    this.latest = null;
    this.send({ type: 'reset' });
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectModels(new Error('planner stopped'));
    this.send({ type: 'stop' });
    await this.worker.terminate();
  }

  private send(msg: ToPlannerWorker): void {
    this.worker.postMessage(msg);
  }

  /** The worker loads only the newest pending model: older requests are settled as replaced. */
  private settleModels(version: number, error: Error | null): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.version > version) continue;
      this.waiters.splice(i, 1);
      if (w.version === version) {
        if (error) w.reject(error);
        else w.resolve();
      } else {
        w.reject(new Error(`model v${w.version} was replaced by v${version} before it was loaded`));
      }
    }
  }

  private rejectModels(error: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}
