/**
 * A task is data: the MJCF model it runs on, which joint quantities form the state, which
 * actuators form the action, the initial-state distribution and the cost terms. The same
 * definition drives the embedded simulator, the controller's state assembly and (compiled
 * to batched code) the planner's objective.
 */
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier ([A-Za-z_][A-Za-z0-9_]*)');

export const StateFieldSchema = z.strictObject({
  name,
  /** MJCF joint name; its position or velocity is read from JointState by this name. */
  joint: z.string().min(1),
  quantity: z.enum(['position', 'velocity']),
  /** Wrap angles to [-pi, pi) so the learned model never sees a 2*pi discontinuity. */
  wrap: z.boolean().default(false),
});
export type StateField = z.infer<typeof StateFieldSchema>;

export const ActionFieldSchema = z.strictObject({
  name,
  /** MJCF actuator name; the action is written to its ctrl (the gear maps it to force). */
  actuator: z.string().min(1),
  min: z.number(),
  max: z.number(),
});
export type ActionField = z.infer<typeof ActionFieldSchema>;

/** A coordinate of a point: a constant or the value of a state field. */
const Coordinate = z.union([z.number(), name]);

/** Planar angle = offset + sum(plus) - sum(minus), in radians. */
const PlanarAngleSchema = z.strictObject({
  offset: z.number().default(0),
  plus: z.array(name).default([]),
  minus: z.array(name).default([]),
});

/**
 * A point in a plane computed from the state by a chain of links (forward kinematics):
 * p = origin + sum_i length_i * (cos phi_i, sin phi_i). Enough for pole tips and planar arms,
 * and cheap to batch on the planner side.
 */
export const PlanarPointSchema = z.strictObject({
  origin: z.tuple([Coordinate, Coordinate]).default([0, 0]),
  links: z.array(z.strictObject({ length: z.number().positive(), angle: PlanarAngleSchema })).min(1),
});
export type PlanarPoint = z.infer<typeof PlanarPointSchema>;

const weight = z.number().nonnegative();

/** Cost terms; reward = -cost. Each term is evaluated at (s_{t+1}, a_t), as in PETS. */
export const CostTermSchema = z.discriminatedUnion('type', [
  /** sum_i w_i (s_i - target_i)^2 */
  z.strictObject({
    type: z.literal('quadratic'),
    state: z.array(name).min(1),
    target: z.array(z.number()).optional(),
    weights: z.array(weight),
  }),
  /** w (1 - cos(s - target)): smooth and periodic, for unwrapped angles. */
  z.strictObject({ type: z.literal('angle'), state: name, target: z.number().default(0), weight }),
  /** -w exp(-|p - target|^2 / width^2): the PETS cart-pole reward shaped as a cost. */
  z.strictObject({
    type: z.literal('exp_distance'),
    point: name,
    target: z.tuple([z.number(), z.number()]),
    width: z.number().positive(),
    weight: weight.default(1),
  }),
  /** w |p - target|^2 (or w |p - target| when squared is false). */
  z.strictObject({
    type: z.literal('distance'),
    point: name,
    target: z.tuple([z.number(), z.number()]),
    squared: z.boolean().default(true),
    weight,
  }),
  /** w |a|^2 */
  z.strictObject({ type: z.literal('action'), weight }),
  /** w |a_t - a_{t-1}|^2: discourages chattering actuators. */
  z.strictObject({ type: z.literal('action_rate'), weight }),
  /** w (max(0, s - max)^2 + max(0, min - s)^2): a soft wall, e.g. the end of a rail. */
  z.strictObject({
    type: z.literal('state_bounds'),
    state: name,
    min: z.number(),
    max: z.number(),
    weight,
  }),
]);
export type CostTerm = z.infer<typeof CostTermSchema>;

export const TaskSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a kebab-case task name'),
    description: z.string().default(''),
    /** Path to the MJCF file, relative to the task file. */
    mjcf: z.string().min(1),
    /** Control period in seconds; an integer multiple of the MJCF timestep. */
    dt: z.number().positive(),
    episode_steps: z.number().int().positive(),
    state: z.array(StateFieldSchema).min(1),
    action: z.array(ActionFieldSchema).min(1),
    initial_state: z.strictObject({
      mean: z.record(z.string(), z.number()).default({}),
      std: z.record(z.string(), z.number().nonnegative()).default({}),
    }),
    points: z.record(name, PlanarPointSchema).default({}),
    cost: z.array(CostTermSchema).min(1),
  })
  .superRefine((task, ctx) => {
    const stateNames = new Set(task.state.map((s) => s.name));
    const unique = (names: string[], path: (string | number)[]) => {
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n))
          ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate name "${n}"` });
        seen.add(n);
      });
    };
    unique(
      task.state.map((s) => s.name),
      ['state'],
    );
    unique(
      task.action.map((a) => a.name),
      ['action'],
    );
    const needState = (n: string, path: (string | number)[]) => {
      if (!stateNames.has(n))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `unknown state field "${n}" (state fields: ${[...stateNames].join(', ')})`,
        });
    };
    task.action.forEach((a, i) => {
      if (!(a.min < a.max))
        ctx.addIssue({ code: 'custom', path: ['action', i, 'max'], message: 'max must exceed min' });
    });
    for (const key of ['mean', 'std'] as const)
      for (const n of Object.keys(task.initial_state[key])) needState(n, ['initial_state', key, n]);
    for (const [pname, point] of Object.entries(task.points)) {
      point.origin.forEach((c, i) => {
        if (typeof c === 'string') needState(c, ['points', pname, 'origin', i]);
      });
      point.links.forEach((link, li) => {
        for (const side of ['plus', 'minus'] as const)
          link.angle[side].forEach((n, k) => needState(n, ['points', pname, 'links', li, 'angle', side, k]));
      });
    }
    task.cost.forEach((term, i) => {
      const at = ['cost', i];
      switch (term.type) {
        case 'quadratic':
          term.state.forEach((n, k) => needState(n, [...at, 'state', k]));
          if (term.weights.length !== term.state.length)
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'weights'],
              message: `expected ${term.state.length} weights (one per state), got ${term.weights.length}`,
            });
          if (term.target && term.target.length !== term.state.length)
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'target'],
              message: `expected ${term.state.length} targets (one per state), got ${term.target.length}`,
            });
          break;
        case 'angle':
        case 'state_bounds':
          needState(term.state, [...at, 'state']);
          break;
        case 'exp_distance':
        case 'distance':
          if (!(term.point in task.points))
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'point'],
              message: `unknown point "${term.point}" (points: ${Object.keys(task.points).join(', ') || 'none'})`,
            });
          break;
        default:
          break;
      }
    });
  });
export type Task = z.infer<typeof TaskSchema>;
