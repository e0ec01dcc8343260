/**
 * MPC planning off the control thread: a worker re-plans continuously from the newest
 * state snapshot, and the controller reads `latest` whenever its timer fires, never
 * waiting (mjpc's planner/agent split). Plans carry their stamp, predicted return,
 * uncertainty, iterations and compute time, so the consumer can judge their age.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Plan } from './mpc-planner.js';
import type { FromPlannerWorker, ModelSource, PlannerWorkerData, ToPlannerWorker } from './planner-worker.js';

export type { ModelSource } from './planner-worker.js';

export interface AsyncPlannerEvents {
  plan: [Plan];
  model: [number];
  error: [Error];
}

export class AsyncPlanner extends EventEmitter<AsyncPlannerEvents> {
  /** The newest plan, or null before the first. */
  latest: Plan | null = null;
  plans = 0;
  errors = 0;
  readonly ready: Promise<string>;
  private readonly worker: Worker;
  private closed = false;

  constructor(options: PlannerWorkerData) {
    super();
    this.worker = new Worker(new URL('./planner-worker.js', import.meta.url), { workerData: options });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (msg: FromPlannerWorker) => {
        switch (msg.type) {
          case 'ready':
            resolve(msg.backend);
            break;
          case 'plan':
            this.latest = msg.plan;
            this.plans++;
            this.emit('plan', msg.plan);
            break;
          case 'model':
            this.emit('model', msg.version);
            break;
          case 'error': {
            const error = new Error(`planner ${msg.during} failed: ${msg.message}`);
            if (msg.during === 'start') reject(error);
            this.errors++;
            if (this.listenerCount('error') > 0) this.emit('error', error);
            break;
          }
        }
      });
      this.worker.on('error', (error) => {
        reject(error);
        this.errors++;
        if (this.listenerCount('error') > 0)
          this.emit('error', new Error(`planner worker crashed: ${error.message}`));
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

  /** Swap the model between plans; 'model' fires when it is in service. */
  setModel(model: ModelSource): void {
    this.send({ type: 'model', model });
  }

  /** Forget the warm start (new episode). */
  reset(): void {
    this.latest = null;
    this.send({ type: 'reset' });
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.send({ type: 'stop' });
    await this.worker.terminate();
  }

  private send(msg: ToPlannerWorker): void {
    this.worker.postMessage(msg);
  }
}
