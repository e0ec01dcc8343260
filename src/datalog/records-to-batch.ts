/** Transitions (records read from a log, or kept in memory) as a Float32 training batch. */
import type { TransitionBatch } from '../models/transition-batch.js';
import type { TransitionRecord } from './transition-record.js';

export function recordsToBatch(
  records: readonly Pick<TransitionRecord, 'state' | 'action' | 'nextState'>[],
  stateDim: number,
  actionDim: number,
): TransitionBatch {
  const batch: TransitionBatch = {
    count: records.length,
    stateDim,
    actionDim,
    states: new Float32Array(records.length * stateDim),
    actions: new Float32Array(records.length * actionDim),
    nextStates: new Float32Array(records.length * stateDim),
  };
  records.forEach((r, i) => {
    batch.states.set(r.state, i * stateDim);
    batch.actions.set(r.action, i * actionDim);
    batch.nextStates.set(r.nextState, i * stateDim);
  });
  return batch;
}
