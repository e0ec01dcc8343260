/**
 * The optimizers and a factory that builds one from config: a zod discriminated union on `type`
 * whose other fields are that optimizer's options (defaults as documented in each file).
 */
import { z } from 'zod';
import { CemOptimizer, CemOptionsSchema } from './cem.js';
import { IcemOptimizer, IcemOptionsSchema } from './icem.js';
import { MppiOptimizer, MppiOptionsSchema } from './mppi.js';
import type { Optimizer, SequenceSpace } from './optimizer.js';
import { OptimizerConfigError, show } from './options.js';
import { RandomShootingOptimizer, RandomShootingOptionsSchema } from './random-shooting.js';

export type {
  OptimizeOptions,
  OptimizeResult,
  Optimizer,
  SequenceObjective,
  SequenceSpace,
} from './optimizer.js';
export { ColoredNoise } from './colored-noise.js';
export { OptimizerConfigError } from './options.js';
export {
  RandomShootingOptimizer,
  RandomShootingOptionsSchema,
  type RandomShootingOptions,
  type ResolvedRandomShootingOptions,
} from './random-shooting.js';
export {
  CemOptimizer,
  CemOptionsSchema,
  type CemOptions,
  type CemResult,
  type ResolvedCemOptions,
} from './cem.js';
export {
  IcemOptimizer,
  IcemOptionsSchema,
  type IcemOptions,
  type IcemResult,
  type ResolvedIcemOptions,
} from './icem.js';
export {
  MppiOptimizer,
  MppiOptionsSchema,
  type MppiOptions,
  type MppiResult,
  type ResolvedMppiOptions,
} from './mppi.js';

export const OptimizerConfigSchema = z.discriminatedUnion('type', [
  RandomShootingOptionsSchema.safeExtend({ type: z.literal('random_shooting') }),
  // safeExtend keeps the elites <= population refinement and the strict (no unknown keys) mode.
  CemOptionsSchema.safeExtend({ type: z.literal('cem') }),
  IcemOptionsSchema.safeExtend({ type: z.literal('icem') }),
  MppiOptionsSchema.safeExtend({ type: z.literal('mppi') }),
]);

/** Config as written (defaults optional). */
export type OptimizerConfig = z.input<typeof OptimizerConfigSchema>;
export type OptimizerType = OptimizerConfig['type'];

export const optimizerTypes: readonly OptimizerType[] = ['random_shooting', 'cem', 'icem', 'mppi'];

/**
 * Builds the optimizer `config.type` names; its options are validated by that optimizer, so a bad
 * value is reported as e.g. "cem.population: must be a positive integer, got -5".
 */
export function createOptimizer(config: OptimizerConfig, space: SequenceSpace, seed: number): Optimizer {
  const { type, ...options } = config;
  switch (type) {
    case 'random_shooting':
      return new RandomShootingOptimizer(space, options, seed);
    case 'cem':
      return new CemOptimizer(space, options, seed);
    case 'icem':
      return new IcemOptimizer(space, options, seed);
    case 'mppi':
      return new MppiOptimizer(space, options, seed);
    default: {
      // Config may come from YAML the type checker never saw.
      const given: unknown = (config as { type?: unknown }).type;
      throw new OptimizerConfigError(
        `optimizer.type: expected one of ${optimizerTypes.map((t) => `"${t}"`).join(', ')}, got ${show(given)}`,
      );
    }
  }
}
