/**
 * The shape of a probabilistic ensemble: how many members, the MLP each member is, and
 * how states become network inputs (angles as sin/cos) and outputs (state deltas).
 */
import { z } from 'zod';

export const ActivationSchema = z.enum(['swish', 'relu', 'tanh']);
export type Activation = z.infer<typeof ActivationSchema>;

export const EnsembleSpecSchema = z.strictObject({
  members: z.int().positive(),
  stateDim: z.int().positive(),
  actionDim: z.int().positive(),
  /** State entries that are angles: fed to the network as (sin, cos), deltas wrapped. */
  angleIndices: z.array(z.int().nonnegative()),
  hiddenLayers: z.int().positive(),
  hiddenUnits: z.int().positive(),
  activation: ActivationSchema,
});
export type EnsembleSpec = z.infer<typeof EnsembleSpecSchema>;

/** Network input width: non-angle states, sin and cos of angles, actions. */
export function inputDim(spec: EnsembleSpec): number {
  return spec.stateDim + spec.angleIndices.length + spec.actionDim;
}

/** Layer sizes [in, h, ..., h, 2 * stateDim]: the last layer emits mean and log-variance. */
export function layerSizes(spec: EnsembleSpec): number[] {
  return [inputDim(spec), ...new Array<number>(spec.hiddenLayers).fill(spec.hiddenUnits), 2 * spec.stateDim];
}

/** Multiply-adds per row through one member, times two: FLOPs of one member forward pass. */
export function forwardFlopsPerRow(spec: EnsembleSpec): number {
  const sizes = layerSizes(spec);
  let flops = 0;
  for (let i = 0; i + 1 < sizes.length; i++) flops += 2 * sizes[i] * sizes[i + 1];
  return flops;
}
