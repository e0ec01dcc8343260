/**
 * An ensemble's inference weights (normalisers folded) packed for the SIMD kernel, plus the
 * rollout buffers for up to `maxRows` rows, laid out once in one MlpKernel memory. Row-like
 * buffers of state width have a stride of s4 = stateDim rounded up to 4 floats (one or more
 * whole v128 per row); the output layer's columns are packed as [mean (s4) | log-variance
 * (s4)] so the heads read both halves as whole vectors. A refit model with the same layout is
 * re-uploaded in place; nothing is allocated per model step.
 */
import type { InferenceWeights } from '../../models/inference-weights.js';
import { ACTIVATION_CODES, roundUp, type MlpKernel } from './mlp-kernel.js';

interface PackedLayer {
  w: number;
  b: number;
  inDim: number;
  out: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Byte offsets are 64-aligned; offset 0 stays unused so 0 can mean "none" to the kernel. */
class Arena {
  end = 64;
  take(floats: number): number {
    const at = this.end;
    this.end = roundUp(at + 4 * floats, 64);
    return at;
  }
}

export class HostEnsemble {
  readonly stateDim: number;
  readonly s4: number;
  readonly inputDim: number;
  /** Packed width of the output layer (floats per raw row). */
  readonly outWidth: number;
  readonly members: number;
  /** Identifies the layout: a model with the same key can be uploaded in place. */
  readonly key: string;
  // Byte offsets of the rollout buffers.
  /** Features [maxRows, inputDim]. */
  readonly x: number;
  /** Output layer [maxRows, outWidth]: delta mean (s4) then raw log-variance (s4). */
  readonly raw: number;
  /** Expectation accumulators [maxRows, s4]. */
  readonly sum: number;
  readonly variance: number;
  /** Particle states [maxRows, s4]. */
  readonly state: number;
  /** Noise [maxRows, stateDim] (+ slack for whole-vector reads), filled as uint32 then normals. */
  readonly noise: number;
  /** Row -> slot permutation (TS1), int32 [maxRows]. */
  readonly index: number;
  /** Feature layout for the kernel: int32 [nPlain, plain..., nAngles, angles...]. */
  readonly featureLayout: number;
  /** Caller's scratch of `scratchFloats` floats (the evaluator's candidate sequences). */
  readonly scratch: number;
  /** Wrap (2 pi on angle entries) and lane masks (all ones for j < stateDim): s4 each. */
  readonly wrap: number;
  readonly mask: number;
  private readonly hidden: [number, number];
  private readonly layers: PackedLayer[][];
  private readonly bounds: number[];
  private readonly act: number;

  constructor(
    private readonly kernel: MlpKernel,
    weights: InferenceWeights,
    /** Which state entries enter as they are and which as sin/cos (StateFeatures' order). */
    private readonly features: { readonly plainIdx: readonly number[]; readonly angleIdx: readonly number[] },
    readonly maxRows: number,
    readonly scratchFloats = 0,
  ) {
    const { spec } = weights;
    this.key = HostEnsemble.layoutKey(weights, maxRows, scratchFloats);
    this.stateDim = spec.stateDim;
    this.s4 = roundUp(spec.stateDim, 4);
    this.members = weights.members.length;
    this.act = ACTIVATION_CODES[spec.activation];
    const first = weights.members[0].layers;
    this.inputDim = first[0].fanIn;
    this.outWidth = roundUp(2 * this.s4, 8);
    const arena = new Arena();
    let widest = 8;
    this.layers = weights.members.map((m) =>
      m.layers.map((layer, l) => {
        const last = l === m.layers.length - 1;
        const inDim = l === 0 ? layer.fanIn : roundUp(layer.fanIn, 8);
        const out = last ? this.outWidth : roundUp(layer.fanOut, 8);
        if (!last) widest = Math.max(widest, out);
        return { w: arena.take(inDim * out), b: arena.take(out), inDim, out };
      }),
    );
    this.bounds = weights.members.map(() => arena.take(3 * this.s4));
    this.wrap = arena.take(this.s4);
    this.mask = arena.take(this.s4);
    this.x = arena.take(maxRows * this.inputDim);
    this.hidden = [arena.take(maxRows * widest), arena.take(maxRows * widest)];
    this.raw = arena.take(maxRows * this.outWidth);
    this.sum = arena.take(maxRows * this.s4);
    this.variance = arena.take(maxRows * this.s4);
    this.state = arena.take(maxRows * this.s4);
    this.noise = arena.take(roundUp(maxRows * this.stateDim, 8) + 8);
    this.index = arena.take(maxRows);
    this.featureLayout = arena.take(2 + features.plainIdx.length + features.angleIdx.length);
    this.scratch = arena.take(scratchFloats);
    kernel.reserve(arena.end);
    // Buffers start zeroed: padding lanes stay finite (zero) for the whole rollout.
    kernel.f32.fill(0, 0, arena.end >> 2);
    this.upload(weights);
  }

  /** Shapes, activation, angles, row and scratch capacity: what the packed layout depends on. */
  static layoutKey(weights: InferenceWeights, maxRows: number, scratchFloats = 0): string {
    const { spec } = weights;
    const shapes = weights.members.map((m) => m.layers.map((l) => `${l.fanIn}x${l.fanOut}`).join(','));
    const dims = [spec.stateDim, spec.actionDim, spec.activation, spec.angleIndices.join('.')];
    return [...dims, maxRows, scratchFloats, ...shapes].join('|');
  }

  /** Writes the weights of a model with this layout (a hot swap after a refit). */
  upload(weights: InferenceWeights): void {
    if (HostEnsemble.layoutKey(weights, this.maxRows, this.scratchFloats) !== this.key)
      throw new RangeError('the weights do not fit this layout');
    const k = this.kernel;
    const S = this.stateDim;
    const s4 = this.s4;
    weights.members.forEach((m, i) => {
      const L = m.layers.length;
      m.layers.forEach((layer, l) => {
        const p = this.layers[i][l];
        // Output layer: mean j -> column j, log-variance j -> column s4 + j.
        const columnOf = l === L - 1 ? (j: number) => (j < S ? j : s4 + j - S) : undefined;
        k.packDense(p.w, p.b, layer, p.inDim, p.out, columnOf);
      });
      // [max | k = e^(max - min) | c = e^((min + 2 log sigma_out) / 2)], see the kernel's heads.
      const at = this.bounds[i] >> 2;
      const f = k.f32;
      f.fill(0, at, at + 3 * s4);
      for (let j = 0; j < S; j++) {
        const max = m.maxLogVar[j];
        const min = m.minLogVar[j];
        f[at + j] = max;
        f[at + s4 + j] = Math.min(Math.exp(max - min), FLOAT32_MAX);
        f[at + 2 * s4 + j] = Math.exp((min + 2 * weights.logStd[j]) / 2);
      }
    });
    const f = k.f32;
    const angles = new Set(weights.spec.angleIndices);
    for (let j = 0; j < s4; j++) {
      f[(this.wrap >> 2) + j] = angles.has(j) ? 2 * Math.PI : 0;
      k.i32[(this.mask >> 2) + j] = j < S ? -1 : 0;
    }
    const { plainIdx, angleIdx } = this.features;
    k.i32.set([plainIdx.length, ...plainIdx, angleIdx.length, ...angleIdx], this.featureLayout >> 2);
  }

  /** Byte offset of member m's log-variance bounds for the kernel: [max | e^(max - min) | sigma scale], s4 each. */
  boundsOf(member: number): number {
    return this.bounds[member];
  }

  /** Member `member` on `rows` feature rows at byte offset x; output rows (outWidth) at `out`. */
  forward(member: number, x: number, rows: number, out: number): void {
    const layers = this.layers[member];
    const last = layers.length - 1;
    let src = x;
    for (let l = 0; l <= last; l++) {
      const p = layers[l];
      const dst = l === last ? out : this.hidden[l & 1];
      this.kernel.run.dense(src, p.w, p.b, dst, rows, p.inDim, p.out, l === last ? 0 : this.act);
      src = dst;
    }
  }
}
