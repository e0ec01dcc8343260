/**
 * Planner profiles: named planning budgets per task (hardware/planners/<task>.yaml), each
 * with the ensemble size it was timed with, since the budget that fits a control period
 * depends on both. `paper` reproduces the published budgets; `realtime` plans within the
 * control period on a 2-core machine.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { hardwareDir } from '../config/package-paths.js';
import { loadYamlConfig } from '../config/yaml-loader.js';
import { PROPAGATIONS } from '../models/dynamics-model.js';
import { OptimizerConfigSchema } from './optimizers/index.js';
import { ROLLOUT_KINDS } from './rollout-evaluator.js';
import { PLANNING_OBJECTIVES } from './trajectory-evaluator.js';

export const PlannerProfileSchema = z.strictObject({
  description: z.string().default(''),
  horizon: z.int().positive(),
  particles: z.int().positive(),
  propagation: z.enum(PROPAGATIONS as [string, ...string[]]).default('tsinf'),
  objective: z.enum(PLANNING_OBJECTIVES as [string, ...string[]]).default('expected'),
  risk_k: z.number().nonnegative().default(1),
  sample_noise: z.boolean().default(true),
  /** Threads that score candidates (this one included); > 1 needs a learned ensemble. */
  threads: z.int().min(1).max(64).default(1),
  /**
   * How a learned ensemble is rolled out: 'host' (WebAssembly SIMD kernel, no per-step tfjs
   * operations) or 'tensor' (tfjs). Other models (the simulator) always use tensor rollouts.
   */
  rollouts: z.enum(ROLLOUT_KINDS).default('host'),
  optimizer: OptimizerConfigSchema,
  ensemble: z.strictObject({
    members: z.int().positive(),
    hidden_layers: z.int().positive(),
    hidden_units: z.int().positive(),
  }),
});
export type PlannerProfile = z.infer<typeof PlannerProfileSchema>;

export const PlannerProfilesFileSchema = z.strictObject({
  task: z.string().min(1),
  profiles: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), PlannerProfileSchema),
});

export function plannerProfilesFile(task: string): string {
  return join(hardwareDir(), 'planners', `${task}.yaml`);
}

/** Loads profile `name` for `task` (errors name the file, field and the available profiles). */
export function loadPlannerProfile(task: string, name: string): PlannerProfile {
  const file = plannerProfilesFile(task);
  if (!existsSync(file))
    throw new ConfigError(file, [
      { path: [], message: `no planner profiles for task "${task}" (expected ${file})` },
    ]);
  const parsed = loadYamlConfig(file, PlannerProfilesFileSchema);
  if (parsed.task !== task)
    throw new ConfigError(file, [
      { path: ['task'], message: `file is for task "${parsed.task}", expected "${task}"` },
    ]);
  const profile = parsed.profiles[name];
  if (!profile)
    throw new ConfigError(file, [
      {
        path: ['profiles'],
        message: `no profile "${name}" (profiles: ${Object.keys(parsed.profiles).join(', ')})`,
      },
    ]);
  return profile;
}
