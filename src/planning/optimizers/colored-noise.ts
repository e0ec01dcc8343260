/**
 * Gaussian noise sequences with power spectral density ~ 1/f^beta along time, for iCEM's
 * temporally correlated action samples (Pinneri et al. 2020, Sec. 3 "Colored noise and correlations"; the same
 * construction as Timmer & Koenig 1995 / the `colorednoise` package iCEM uses): draw complex
 * Gaussian frequency coefficients, scale them by f^(-beta/2), and take the inverse real DFT.
 *
 * The horizon is short (tens of steps), so the inverse transform is a direct O(H^2) sum over
 * precomputed cos/sin tables; no FFT and no allocation per sequence.
 */
import type { Rng } from '../../math/rng.js';

export class ColoredNoise {
  readonly horizon: number;
  readonly beta: number;
  /** Number of one-sided frequencies k = 0 .. floor(H/2). */
  private readonly frequencies: number;
  /** Per frequency: amplitude a_k, already normalised so that sum_k a_k^2 = 1 (unit variance). */
  private readonly amplitude: Float64Array;
  /** Per frequency: 1 when it has an imaginary part (0 < k < H/2), 0 for DC and Nyquist. */
  private readonly complex: Uint8Array;
  /** cos / sin of 2 pi k t / H, indexed [k * H + t]. */
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  /** Scratch: this sequence's frequency coefficients. */
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(horizon: number, beta: number) {
    if (!Number.isInteger(horizon) || horizon < 1)
      throw new RangeError(`colored noise horizon must be an integer >= 1, got ${horizon}`);
    if (!Number.isFinite(beta)) throw new RangeError(`colored noise beta must be finite, got ${beta}`);
    this.horizon = horizon;
    this.beta = beta;
    const h = horizon;
    const nf = Math.floor(h / 2) + 1;
    this.frequencies = nf;
    this.amplitude = new Float64Array(nf);
    this.complex = new Uint8Array(nf);
    this.cosTable = new Float64Array(nf * h);
    this.sinTable = new Float64Array(nf * h);
    this.re = new Float64Array(nf);
    this.im = new Float64Array(nf);
    let total = 0;
    for (let k = 0; k < nf; k++) {
      // f_k = k / H; DC gets the lowest resolved frequency 1/H, as `colorednoise` does, so
      // beta > 0 does not blow up and beta = 0 leaves every frequency weight 1 (white noise).
      const f = Math.max(k, 1) / h;
      const scale = Math.pow(f, -beta / 2);
      const isNyquist = h % 2 === 0 && k === h / 2;
      const isComplex = k > 0 && !isNyquist;
      this.complex[k] = isComplex ? 1 : 0;
      // Inverse real DFT: x_t = sum_k a_k (Re_k cos - Im_k sin); the conjugate half of the
      // spectrum doubles the amplitude of complex bins. Real-only bins (DC, Nyquist) get
      // sqrt(2) so that for beta = 0 every bin's power is equal, making the process white.
      this.amplitude[k] = (isComplex ? 2 : Math.SQRT2) * scale;
      // Var(x_t) = sum_k a_k^2 (cos^2 + sin^2) for complex bins, a_k^2 for real bins (|cos| = 1
      // there), the same at every t, so one constant normalises every step to unit variance.
      total += this.amplitude[k] * this.amplitude[k];
      for (let t = 0; t < h; t++) {
        const phase = (2 * Math.PI * k * t) / h;
        this.cosTable[k * h + t] = Math.cos(phase);
        this.sinTable[k * h + t] = Math.sin(phase);
      }
    }
    const norm = 1 / Math.sqrt(total);
    for (let k = 0; k < nf; k++) this.amplitude[k] *= norm;
  }

  /**
   * Writes one zero-mean, unit-variance sequence of `horizon` values to
   * out[offset + t * stride], t = 0 .. horizon-1 (stride lets it fill one action entry of a
   * row-major [horizon][actionDim] sequence directly).
   */
  sample(rng: Rng, out: Float32Array | Float64Array, offset: number, stride: number): void {
    const h = this.horizon;
    const nf = this.frequencies;
    const re = this.re;
    const im = this.im;
    for (let k = 0; k < nf; k++) {
      // Pinneri et al. 2020 Sec. 3 (colored noise): Gaussian coefficients scaled by f^(-beta/2).
      re[k] = this.amplitude[k] * rng.normal();
      im[k] = this.complex[k] === 1 ? this.amplitude[k] * rng.normal() : 0;
    }
    const cos = this.cosTable;
    const sin = this.sinTable;
    for (let t = 0; t < h; t++) {
      let x = 0;
      for (let k = 0; k < nf; k++) x += re[k] * cos[k * h + t] - im[k] * sin[k * h + t];
      out[offset + t * stride] = x;
    }
  }
}
