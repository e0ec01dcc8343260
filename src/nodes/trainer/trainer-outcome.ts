/** What one refit came to, without the model itself (which stays with the trainer). */
import type { RefitOutcome } from '../../models/ensemble-refit.js';

export interface TrainerOutcome {
  accepted: boolean;
  reason?: string;
  version?: number;
  dir?: string;
  holdoutError?: number;
  servingHoldoutError?: number | null;
  holdoutRows?: number;
  transitions?: number;
  trainingSeconds?: number;
}

/** The figures of a refit outcome (structured-clone safe: no model, no report). */
export function outcomeFigures(outcome: RefitOutcome): TrainerOutcome {
  if (!outcome.accepted) return { ...outcome };
  const { dynamics: _dynamics, report: _report, ...figures } = outcome;
  return figures;
}
