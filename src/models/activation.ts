/** Hidden-layer activations by name. */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './ensemble-spec.js';

export function activation(name: Activation): (h: tf.Tensor2D) => tf.Tensor2D {
  switch (name) {
    case 'swish':
      // x * sigmoid(x), the SiLU used by the PETS reference models.
      return (h) => tf.mul(h, tf.sigmoid(h));
    case 'relu':
      return (h) => tf.relu(h);
    case 'tanh':
      return (h) => tf.tanh(h);
  }
}
