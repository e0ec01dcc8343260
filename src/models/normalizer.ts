/**
 * Per-feature standardisation (x - mean) / std fitted on training data. Features with
 * (near) zero spread keep std = 1 so constant inputs do not blow up.
 */
import { z } from 'zod';

export const NormalizerJsonSchema = z.strictObject({
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
});
export type NormalizerJson = z.infer<typeof NormalizerJsonSchema>;

const MIN_STD = 1e-6;

export class Normalizer {
  private constructor(
    readonly mean: Float32Array,
    readonly std: Float32Array,
  ) {}

  /** Fits to `rows` x `dim` row-major data. */
  static fit(data: Float32Array, dim: number): Normalizer {
    const rows = data.length / dim;
    if (!Number.isInteger(rows) || rows < 1)
      throw new RangeError(`cannot fit a normalizer to ${data.length} values of width ${dim}`);
    const mean = new Float64Array(dim);
    const sq = new Float64Array(dim);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < dim; j++) {
        const v = data[r * dim + j];
        mean[j] += v;
        sq[j] += v * v;
      }
    const std = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      mean[j] /= rows;
      const variance = Math.max(0, sq[j] / rows - mean[j] * mean[j]);
      const s = Math.sqrt(variance);
      std[j] = s > MIN_STD ? s : 1;
    }
    return new Normalizer(Float32Array.from(mean), std);
  }

  static fromJson(json: NormalizerJson): Normalizer {
    if (json.mean.length !== json.std.length)
      throw new RangeError('normalizer mean and std differ in length');
    return new Normalizer(Float32Array.from(json.mean), Float32Array.from(json.std));
  }

  get dim(): number {
    return this.mean.length;
  }

  /** Normalises `data` (rows x dim) into a new array. */
  apply(data: Float32Array): Float32Array {
    const out = new Float32Array(data.length);
    const d = this.dim;
    for (let i = 0; i < data.length; i++) out[i] = (data[i] - this.mean[i % d]) / this.std[i % d];
    return out;
  }

  toJson(): NormalizerJson {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }
}
