/**
 * Step-size adaptation of LQR-FLM (the GPS code's `_stepadjust` / `_set_new_mult`, after
 * Levine & Abbeel 2014 sec. 3.2 and Levine et al. 2016 "End-to-End Training of Deep
 * Visuomotor Policies", appendix): the KL step is scaled by how well the local model
 * predicted the last improvement,
 *   new_mult = predicted_impr / (2 max(predicted_impr - actual_impr, 1e-4)),
 * which is 1 when the actual improvement is half the predicted one, > 1 when the model was
 * right (grow the trust region), < 1 when it over-promised. The factor is clipped to
 * `multiplierRange` (default [0.5, 3]: GPS uses [0.1, 5]; a narrower range keeps one noisy
 * 5-sample estimate from collapsing or exploding the step) and the accumulated multiplier to
 * `stepMultRange` (default [0.1, 10], GPS's min/max_step_mult are [0.01, 10]).
 */
export interface StepSizeRule {
  multiplierRange?: readonly [number, number];
  stepMultRange?: readonly [number, number];
}

/** The factor new_mult for one iteration. */
export function stepMultiplier(
  predictedImprovement: number,
  actualImprovement: number,
  range: readonly [number, number] = [0.5, 3],
): number {
  const raw = predictedImprovement / (2 * Math.max(predictedImprovement - actualImprovement, 1e-4));
  // A non-finite estimate (e.g. a diverged prediction) is treated as the worst case.
  if (!Number.isFinite(raw)) return range[0];
  return Math.min(range[1], Math.max(range[0], raw));
}

/** step_mult_{k+1} = clip(step_mult_k * new_mult, stepMultRange). */
export function nextStepMult(
  stepMult: number,
  predictedImprovement: number,
  actualImprovement: number,
  rule: StepSizeRule = {},
): number {
  const [lo, hi] = rule.stepMultRange ?? [0.1, 10];
  return Math.min(
    hi,
    Math.max(lo, stepMult * stepMultiplier(predictedImprovement, actualImprovement, rule.multiplierRange)),
  );
}
