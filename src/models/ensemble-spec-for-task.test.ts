import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RobotConfigSchema } from '../config/robot-schema.js';
import { loadTask } from '../config/task-loader.js';
import { ensembleSpecForTask } from './ensemble-spec-for-task.js';
import { EnsembleSpecSchema, inputDim } from './ensemble-spec.js';

test('the cart-pole ensemble takes the pole angle as sin/cos and the config sizes', () => {
  const robot = RobotConfigSchema.parse({
    robot: 'r',
    task: 'cartpole-swingup',
    controller: { type: 'random' },
    model: { members: 7, hidden_units: 64 },
  });
  const spec = ensembleSpecForTask(loadTask('cartpole-swingup').task, robot.model);
  assert.deepEqual(spec, {
    members: 7,
    stateDim: 4,
    actionDim: 1,
    angleIndices: [1],
    hiddenLayers: 3,
    hiddenUnits: 64,
    activation: 'swish',
  });
  assert.equal(inputDim(spec), 6);
  assert.doesNotThrow(() => EnsembleSpecSchema.parse(spec));
  // The reacher's joint angles are not wrapped (the elbow is limited): no sin/cos features.
  assert.deepEqual(ensembleSpecForTask(loadTask('reacher-2link').task, robot.model).angleIndices, []);
});
