/**
 * Saves and loads a trained EnsembleDynamics as a model artifact directory (model.json +
 * weights.bin in the tfjs weights-manifest layout, normalizer.json, card.json). Loading
 * validates the spec, the normalisers and the elites against the weights, so a mismatched
 * artifact is an error naming the file and field rather than a silently wrong model.
 */
import { z } from 'zod';
import { EnsembleDynamics } from './ensemble-dynamics.js';
import { EnsembleSpecSchema, inputDim, type EnsembleSpec } from './ensemble-spec.js';
import type { TrainingReport } from './ensemble-trainer.js';
import {
  loadModelArtifact,
  ModelArtifactError,
  saveModelArtifact,
  type NamedWeights,
} from './model-artifact.js';
import { Normalizer, NormalizerJsonSchema } from './normalizer.js';

const NormalizersSchema = z.strictObject({ input: NormalizerJsonSchema, target: NormalizerJsonSchema });
const CardSchema = z.looseObject({
  version: z.int().nonnegative(),
  elites: z.array(z.int().nonnegative()).min(1),
});

export interface LoadedEnsemble {
  dynamics: EnsembleDynamics;
  card: Record<string, unknown> & { version: number; elites: number[] };
}

export async function saveEnsemble(
  dir: string,
  dynamics: EnsembleDynamics,
  options: { version: number; report?: TrainingReport; extra?: Record<string, unknown> },
): Promise<void> {
  await saveModelArtifact(dir, {
    spec: { ...dynamics.spec },
    weights: dynamics.namedWeights(),
    normalizer: { input: dynamics.inputNormalizer.toJson(), target: dynamics.targetNormalizer.toJson() },
    card: {
      version: options.version,
      elites: [...dynamics.elites],
      ...(options.report ?? {}),
      ...(options.extra ?? {}),
    },
  });
}

export async function loadEnsemble(dir: string): Promise<LoadedEnsemble> {
  const contents = await loadModelArtifact(dir);
  const fail = (file: string, field: string, message: string) =>
    new ModelArtifactError(`${dir}/${file}: ${field}: ${message}`, { dir, file, field });
  const spec = parse(EnsembleSpecSchema, contents.spec, (f, m) => fail('model.json', `spec.${f}`, m));
  const norms = parse(NormalizersSchema, contents.normalizer, (f, m) => fail('normalizer.json', f, m));
  const card = parse(CardSchema, contents.card, (f, m) => fail('card.json', f, m));
  const inputWidth = inputDim(spec);
  if (norms.input.mean.length !== inputWidth)
    throw fail(
      'normalizer.json',
      'input.mean',
      `has ${norms.input.mean.length} entries, the spec needs ${inputWidth}`,
    );
  if (norms.target.mean.length !== spec.stateDim)
    throw fail(
      'normalizer.json',
      'target.mean',
      `has ${norms.target.mean.length} entries, the spec needs ${spec.stateDim}`,
    );
  for (const e of card.elites)
    if (e >= spec.members)
      throw fail('card.json', 'elites', `elite ${e} is not one of the ${spec.members} members`);
  // The checksum only proves the file is the one saved: a diverged model saved as is would
  // plan with NaN costs (every candidate "best"), so it is refused here too.
  const nonFinite = nonFiniteWeights(contents.weights);
  if (nonFinite) throw fail('weights.bin', nonFinite.name, `${nonFinite.count} non-finite values`);
  let dynamics: EnsembleDynamics;
  try {
    dynamics = EnsembleDynamics.fromWeights(
      spec as EnsembleSpec,
      contents.weights,
      Normalizer.fromJson(norms.input),
      Normalizer.fromJson(norms.target),
      card.elites,
    );
  } catch (error) {
    throw fail('model.json', 'weightsManifest', (error as Error).message);
  }
  return { dynamics, card: { ...contents.card, version: card.version, elites: card.elites } };
}

/** The first tensor holding NaN or +-Infinity, with how many such values it has. */
export function nonFiniteWeights(weights: readonly NamedWeights[]): { name: string; count: number } | null {
  for (const w of weights) {
    let count = 0;
    for (let i = 0; i < w.data.length; i++) if (!Number.isFinite(w.data[i])) count++;
    if (count > 0) return { name: w.name, count };
  }
  return null;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, fail: (field: string, message: string) => Error): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw fail(issue.path.join('.') || '(root)', issue.message);
}
