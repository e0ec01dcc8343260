/**
 * A time-varying linear-Gaussian controller (LQR-FLM's local policy) as a Policy: the time
 * index is t = round((time - episodeStart) / dt), with episodeStart the time of the first
 * act() after reset(), so the controller node's sim- or wall-clock ticks map onto the
 * controller's steps; past the horizon the last step's gains are used. Exploration noise
 * u = mean + noiseScale chol(Sigma_t) eps comes from a seeded generator, so a run is
 * reproducible.
 */
import type { LinearGaussianController } from '../lqr/linear-gaussian-controller.js';
import { Rng } from '../math/rng.js';
import { PolicyNotReadyError, type Policy, type PolicyStatus } from './policy.js';

export interface LinearGaussianPolicyOptions {
  /** The controller to act with; without one act() throws PolicyNotReadyError until setController(). */
  controller?: LinearGaussianController;
  /** Control period (s) mapping time to the controller's step index. */
  dt: number;
  seed: number;
  /** Scales the exploration noise; 0 acts with the mean; default 1. */
  noiseScale?: number;
  /** Reported as status().modelVersion (e.g. the LQR-FLM iteration); default 0. */
  version?: number;
}

export class LinearGaussianPolicy implements Policy {
  readonly source = 'lqr' as const;
  readonly dt: number;
  private controller: LinearGaussianController | null;
  private version: number;
  private readonly rng: Rng;
  private readonly noiseScale: number;
  private episodeStart: number | null = null;
  private lastStep = -1;
  private noise: Float64Array;

  constructor(options: LinearGaussianPolicyOptions) {
    if (!(options.dt > 0))
      throw new RangeError(`linear-Gaussian policy: dt must be positive, got ${options.dt}`);
    this.dt = options.dt;
    this.controller = options.controller ?? null;
    this.version = options.version ?? 0;
    this.rng = new Rng(options.seed);
    this.noiseScale = options.noiseScale ?? 1;
    if (!(this.noiseScale >= 0)) throw new RangeError(`noiseScale must be >= 0, got ${this.noiseScale}`);
    this.noise = new Float64Array(this.controller?.actionDim ?? 0);
  }

  /** Installs the controller for the next episodes (call between episodes). */
  setController(controller: LinearGaussianController, version = this.version + 1): void {
    this.controller = controller;
    this.version = version;
    this.noise = new Float64Array(controller.actionDim);
  }

  /** The step index of the last action (-1 before the first act of an episode). */
  get step(): number {
    return this.lastStep;
  }

  reset(): void {
    this.episodeStart = null;
    this.lastStep = -1;
  }

  act(state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array {
    const controller = this.controller;
    if (controller === null) throw new PolicyNotReadyError('no linear-Gaussian controller yet');
    if (this.episodeStart === null) this.episodeStart = timeSeconds;
    const t = Math.min(
      controller.horizon - 1,
      Math.max(0, Math.round((timeSeconds - this.episodeStart) / this.dt)),
    );
    this.lastStep = t;
    if (this.noiseScale === 0) return controller.act(state, t, null, out);
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = this.noiseScale * this.rng.normal();
    return controller.act(state, t, this.noise, out);
  }

  status(): PolicyStatus {
    return { modelVersion: this.version };
  }
}
