/**
 * Test helpers for rollout evaluators and planners: small randomly initialised ensembles on
 * cart-pole shapes with non-trivial normalisers (so folding them into the weights is
 * exercised), and scoring the same candidates with two evaluators. Not a test file itself.
 */
import { Rng } from '../math/rng.js';
import { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../models/ensemble-network.js';
import { inputDim, type EnsembleSpec } from '../models/ensemble-spec.js';
import { Normalizer } from '../models/normalizer.js';

/** An untrained ensemble (2 members of 2x16 swish on cart-pole shapes unless `over` says otherwise). */
export function randomEnsemble(
  seed: number,
  over: Partial<EnsembleSpec> = {},
  elites?: number[],
): EnsembleDynamics {
  const spec: EnsembleSpec = {
    members: 2,
    stateDim: 4,
    actionDim: 1,
    angleIndices: [1],
    hiddenLayers: 2,
    hiddenUnits: 16,
    activation: 'swish',
    ...over,
  };
  const rng = new Rng(seed + 100);
  const normalizer = (d: number, std: number) =>
    Normalizer.fromJson({
      mean: Array.from({ length: d }, () => rng.uniformIn(-0.2, 0.2)),
      std: Array.from({ length: d }, () => std * rng.uniformIn(0.5, 1.5)),
    });
  const ids = Array.from({ length: spec.members }, (_, i) => i);
  return new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, ids, new Rng(seed), false),
    normalizer(inputDim(spec), 0.7),
    normalizer(spec.stateDim, 0.2),
    elites ?? ids,
  );
}

/** An evaluator as the helpers below use it (single-thread ones also take a member). */
interface Scorer {
  setStart(state: ArrayLike<number>, previousAction: ArrayLike<number> | null, member?: number): void;
  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void;
}

/** Scores `population` candidates from the same start with both evaluators: [a's costs, b's]. */
export function scoreBoth(
  a: Scorer,
  b: Scorer,
  candidates: Float32Array,
  population: number,
  start: { state: ArrayLike<number>; previous: ArrayLike<number> | null; member?: number },
): [Float32Array, Float32Array] {
  const costs = [new Float32Array(population), new Float32Array(population)] as [Float32Array, Float32Array];
  [a, b].forEach((evaluator, i) => {
    evaluator.setStart(start.state, start.previous, start.member);
    evaluator.evaluate(candidates, population, costs[i]);
  });
  return costs;
}
