/**
 * The ensemble a robot config asks for, shaped to its task: state and action widths from
 * the task, angles (state fields declared with wrap: true) fed as sin/cos.
 */
import type { ModelConfig } from '../config/robot-schema.js';
import type { Task } from '../config/task-schema.js';
import type { EnsembleSpec } from './ensemble-spec.js';

export function ensembleSpecForTask(task: Task, model: ModelConfig): EnsembleSpec {
  return {
    members: model.members,
    stateDim: task.state.length,
    actionDim: task.action.length,
    angleIndices: task.state.flatMap((field, i) => (field.wrap ? [i] : [])),
    hiddenLayers: model.hidden_layers,
    hiddenUnits: model.hidden_units,
    activation: model.activation,
  };
}
