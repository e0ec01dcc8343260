import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStepMult, stepMultiplier } from './step-size.js';

test('the step multiplier is 1 when half the predicted improvement is realised, clipped otherwise', () => {
  assert.equal(stepMultiplier(10, 5), 1);
  assert.equal(stepMultiplier(10, 7.5), 2);
  assert.equal(stepMultiplier(10, 10), 3, 'exact prediction: grow, clipped at 3');
  assert.equal(stepMultiplier(10, -20), 0.5, 'got worse: shrink, clipped at 0.5');
  assert.equal(stepMultiplier(-1, -1), 0.5, 'predicted worse: shrink');
  assert.equal(stepMultiplier(Number.NaN, 1), 0.5);
  assert.equal(stepMultiplier(10, 7.5, [0.1, 5]), 2);
  assert.equal(nextStepMult(1, 10, 10), 3);
  assert.equal(nextStepMult(8, 10, 10), 10, 'accumulated multiplier clipped at 10');
  assert.equal(nextStepMult(0.15, 10, -5), 0.1, 'and at 0.1');
  assert.equal(nextStepMult(1, 10, 10, { stepMultRange: [0.01, 2] }), 2);
});
