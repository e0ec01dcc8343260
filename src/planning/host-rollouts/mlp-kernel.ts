/**
 * The WebAssembly SIMD kernels of mlp-kernel.wat (dense layers, rollout heads, Gaussian
 * noise) over one growable wasm memory. tfjs-wasm spends 10-180 us per operation whatever
 * its size, so small planning budgets (a few hundred rows, 64-unit layers) are bound by
 * operation count; these kernels cost a JS -> wasm call (~50 ns) each and run the same
 * arithmetic at 30+ GFLOP/s on one core. Callers lay out their buffers in `memory` once
 * (reserve) and pass byte offsets; nothing here allocates per call.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Activation } from '../../models/ensemble-spec.js';

/** The slice of the WebAssembly JS API used here (this project's libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

/**
 * The kernels (see mlp-kernel.wat for the formulas): every pointer is a byte offset into the
 * kernel memory, every count a number of rows or floats. s4 is the state width rounded up to 4
 * (row stride of state-like buffers), s the state width.
 */
export interface Kernels {
  /** y [rows, out] = act(x [rows, inDim] W + b); W and b packed by packDense, out % 8 == 0. */
  dense(
    x: number,
    w: number,
    b: number,
    y: number,
    rows: number,
    inDim: number,
    out: number,
    act: number,
  ): void;
  /** In place activation of n floats (n a multiple of 4). */
  activate(p: number, n: number, act: number): void;
  /**
   * In place on output rows [mean (s4) | raw log-variance (s4)] of byte stride `stride`:
   * mean += sigma z, sigma the standard deviation under the PETS soft log-variance bounds
   * (bounds: one member's [max (s4) | e^(max - min) (s4) | e^((min + 2 log sigma_out) / 2) (s4)]),
   * z the normals at `noise` (row stride s floats, lanes >= s masked by `mask`).
   */
  sample(
    raw: number,
    stride: number,
    rows: number,
    s4: number,
    bounds: number,
    noise: number,
    s: number,
    mask: number,
  ): void;
  /** sum [rows, s4] (+)= mean; variance (+)= sigma^2 unless variance is 0; first (0/1) overwrites. */
  accumulate(
    raw: number,
    stride: number,
    rows: number,
    s4: number,
    bounds: number,
    sum: number,
    variance: number,
    first: number,
  ): void;
  /** sum = sum / k (+ sqrt(variance / k) z when noise is not 0), in place. */
  finish(
    sum: number,
    variance: number,
    rows: number,
    s4: number,
    invK: number,
    noise: number,
    s: number,
    mask: number,
  ): void;
  /** state [rows, s4] += delta row (index[r] if index is not 0), angles wrapped by `wrap` (2 pi or 0). */
  advance(
    state: number,
    delta: number,
    stride: number,
    rows: number,
    s4: number,
    wrap: number,
    index: number,
  ): void;
  /** In place: `count` (a multiple of 8) uniform 32-bit words at p -> standard normals. */
  normals(p: number, count: number): void;
  /**
   * Model inputs for `rows` rows of states [rows, s4]: x row (slot slots[r] if slots is not 0,
   * d floats) = [plain entries | sin of angles | cos of angles | action]; `layout` holds int32
   * [nPlain, plain..., nAngles, angles...]; row r takes candidate (r mod population)'s action
   * at act + candidate * astride bytes.
   */
  features(
    state: number,
    s4: number,
    rows: number,
    x: number,
    d: number,
    layout: number,
    act: number,
    astride: number,
    a: number,
    population: number,
    slots: number,
  ): void;
}

/** Activation codes of the kernel. */
export const ACTIVATION_CODES: Readonly<Record<Activation | 'none', number>> = {
  none: 0,
  relu: 1,
  swish: 2,
  tanh: 3,
};

const PAGE = 65536;
let compiled: object | null = null;

/** Rounds up to a multiple of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

export class MlpKernel {
  /** Views of the whole memory (indices are byte offsets / 4); renewed when it grows. */
  f32!: Float32Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  /** The kernels, called directly (a JS -> wasm call each, nothing allocated). */
  readonly run: Kernels;
  private readonly memory: WasmMemory;

  constructor() {
    // Compiled once per thread (synchronously: evaluators are built on the planning path).
    compiled ??= new WebAssembly.Module(
      readFileSync(fileURLToPath(new URL('./mlp-kernel.wasm', import.meta.url))),
    );
    const exports = new WebAssembly.Instance(compiled, {}).exports as Kernels & { memory: WasmMemory };
    this.run = exports;
    this.memory = exports.memory;
    this.refreshViews();
  }

  /** Bytes of wasm memory in use (grows only through reserve()). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Makes the memory at least `bytes` long. Views from before a growth are stale: re-read f32/u32/i32. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.refreshViews();
  }

  /**
   * Packs a row-major [fanIn, fanOut] layer into the kernel's panel layout at byte offset `w`
   * (16-column panels, then one 8-wide panel; `inRows` >= fanIn rows, the extra ones zero)
   * and its bias at `b`. Output column j of the layer lands in packed column columnOf(j);
   * packed columns no layer column maps to are zero. `out` is the packed width (a multiple of 8).
   */
  packDense(
    w: number,
    b: number,
    layer: { w: Float32Array; b: Float32Array; fanIn: number; fanOut: number },
    inRows: number,
    out: number,
    columnOf: (j: number) => number = (j) => j,
  ): void {
    if (out % 8 !== 0 || inRows < layer.fanIn) throw new RangeError('bad packed layer shape');
    const f = this.f32;
    f.fill(0, w >> 2, (w >> 2) + inRows * out);
    f.fill(0, b >> 2, (b >> 2) + out);
    const full = out - (out % 16);
    for (let j = 0; j < layer.fanOut; j++) {
      const col = columnOf(j);
      if (!(col >= 0 && col < out)) throw new RangeError(`packed column ${col} outside 0..${out - 1}`);
      // The panel holding `col` starts at float col0 * inRows and has `width` floats per row.
      const col0 = col < full ? col - (col % 16) : full;
      const width = col < full ? 16 : 8;
      const base = (w >> 2) + col0 * inRows + (col - col0);
      for (let i = 0; i < layer.fanIn; i++) f[base + i * width] = layer.w[i * layer.fanOut + j];
      f[(b >> 2) + col] = layer.b[j];
    }
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }
}
