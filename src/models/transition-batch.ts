/** Transitions (s_t, a_t, s_{t+1}) as row-major Float32 arrays, the training input of a model. */
export interface TransitionBatch {
  count: number;
  stateDim: number;
  actionDim: number;
  states: Float32Array;
  actions: Float32Array;
  nextStates: Float32Array;
}

/** Checks that the arrays agree with count and dimensions and hold only finite values. */
export function validateTransitionBatch(batch: TransitionBatch): void {
  const { count, stateDim: S, actionDim: A } = batch;
  const expect = (name: string, arr: Float32Array, width: number) => {
    if (arr.length !== count * width)
      throw new RangeError(`transitions: ${name} has ${arr.length} values, expected ${count} x ${width}`);
    for (let i = 0; i < arr.length; i++)
      if (!Number.isFinite(arr[i]))
        throw new RangeError(`transitions: ${name}[${Math.floor(i / width)}][${i % width}] is ${arr[i]}`);
  };
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`transitions: count must be positive, got ${count}`);
  expect('states', batch.states, S);
  expect('actions', batch.actions, A);
  expect('nextStates', batch.nextStates, S);
}
