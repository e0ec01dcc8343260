/**
 * The planner profile a robot config's PETS controller asks for: the named profile of its
 * task with the config's overrides applied, validated again as a whole, so an override that
 * breaks the profile (elites above the population) is reported like any other config error.
 */
import type { PetsControllerConfig } from '../config/robot-schema.js';
import { loadPlannerProfile, PlannerProfileSchema, type PlannerProfile } from './planner-profile.js';

/** The overrides of a robot config that do not fit its planner profile, by robot-config field. */
export class PlannerOverrideError extends RangeError {
  override readonly name = 'PlannerOverrideError';
  constructor(
    message: string,
    /** Fields of the robot config's `controller` section ('elites', 'horizon'; 'profile' if none fits). */
    readonly issues: { field: string; message: string }[],
  ) {
    super(message);
  }
}

/** Profile paths that are robot-config `controller` fields of the same name. */
const OVERRIDE_FIELDS: Record<string, string> = {
  horizon: 'horizon',
  particles: 'particles',
  propagation: 'propagation',
  objective: 'objective',
  risk_k: 'risk_k',
  'optimizer.type': 'optimizer',
  'optimizer.population': 'population',
  'optimizer.iterations': 'iterations',
  'optimizer.elites': 'elites',
};

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
  const issues = result.error.issues.map((i) => {
    // An unknown key (an override the optimizer does not have) is that key's issue.
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    const path = [...i.path, ...keys.slice(0, 1)].join('.');
    // An issue on a field the config overrides is that field's; others are the profile's.
    const field = OVERRIDE_FIELDS[path] ?? (path.startsWith('optimizer.') ? 'optimizer' : 'profile');
    return {
      field,
      message: `${i.message} (planner profile "${pets.profile}" of task ${task}, ${path || 'profile'})`,
    };
  });
  // A RangeError is reported by the CLI as an input error (exit 2), without a stack.
  throw new PlannerOverrideError(
    `controller (pets): the overrides do not fit planner profile "${pets.profile}" of task ${task}: ${issues
      .map((i) => `controller.${i.field}: ${i.message}`)
      .join('; ')}`,
    issues,
  );
}
