/**
 * One sampled episode as LQR-FLM consumes it: T transitions of a time-varying controller
 * from a fixed initial condition. States s_0 .. s_T, actions a_0 .. a_{T-1} as applied, and
 * costs[t] = c(s_{t+1}, a_t, a_{t-1}) (the task's convention: the cost of arriving).
 */
export interface Trajectory {
  /** T + 1 states, each of length stateDim. */
  readonly states: readonly ArrayLike<number>[];
  /** T actions, each of length actionDim. */
  readonly actions: readonly ArrayLike<number>[];
  /** T step costs. */
  readonly costs: ArrayLike<number>;
}

/** Throws a RangeError naming the trajectory, field and step when shapes disagree or a value is not finite. */
export function checkTrajectory(
  trajectory: Trajectory,
  dims: { stateDim: number; actionDim: number; horizon: number },
  label: string,
): void {
  const { stateDim, actionDim, horizon } = dims;
  const fail = (message: string) => new RangeError(`${label}: ${message}`);
  if (trajectory.states.length !== horizon + 1)
    throw fail(`has ${trajectory.states.length} states, expected horizon + 1 = ${horizon + 1}`);
  if (trajectory.actions.length !== horizon)
    throw fail(`has ${trajectory.actions.length} actions, expected horizon = ${horizon}`);
  if (trajectory.costs.length !== horizon)
    throw fail(`has ${trajectory.costs.length} costs, expected horizon = ${horizon}`);
  const checkVector = (v: ArrayLike<number>, n: number, what: string) => {
    if (v.length !== n) throw fail(`${what} has ${v.length} entries, expected ${n}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) throw fail(`${what}[${i}] is ${v[i]}`);
  };
  trajectory.states.forEach((s, t) => checkVector(s, stateDim, `states[${t}]`));
  trajectory.actions.forEach((a, t) => checkVector(a, actionDim, `actions[${t}]`));
  checkVector(trajectory.costs, horizon, 'costs');
}

/** Total cost of a trajectory. */
export function totalCost(trajectory: Trajectory): number {
  let s = 0;
  for (let t = 0; t < trajectory.costs.length; t++) s += trajectory.costs[t];
  return s;
}
