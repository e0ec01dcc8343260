/**
 * The planner profile a robot config's PETS controller asks for: the named profile of its
 * task with the config's overrides applied, validated again as a whole, so an override that
 * breaks the profile (elites above the population) is reported like any other config error.
 */
import type { PetsControllerConfig } from '../config/robot-schema.js';
import { loadPlannerProfile, PlannerProfileSchema, type PlannerProfile } from './planner-profile.js';

export function robotPlannerProfile(task: string, pets: PetsControllerConfig): PlannerProfile {
  const base = loadPlannerProfile(task, pets.profile);
  const { optimizer: type, population, iterations, elites } = pets;
  const sameType = type === undefined || type === base.optimizer.type;
  // A different optimizer starts from its own defaults; the same one keeps the profile's options.
  const optimizer = {
    ...(sameType ? base.optimizer : { type }),
    ...(population !== undefined ? { population } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(elites !== undefined ? { elites } : {}),
  };
  const result = PlannerProfileSchema.safeParse({
    ...base,
    horizon: pets.horizon ?? base.horizon,
    particles: pets.particles ?? base.particles,
    propagation: pets.propagation ?? base.propagation,
    objective: pets.objective ?? base.objective,
    risk_k: pets.risk_k ?? base.risk_k,
    optimizer,
  });
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  // A RangeError is reported by the CLI as an input error (exit 2), without a stack.
  throw new RangeError(
    `controller (pets): the overrides do not fit planner profile "${pets.profile}" of task ${task}: ${issues}`,
  );
}
