/**
 * y = x W + b with a hand-written gradient. tfjs-backend-wasm sends only untransposed 2-D
 * matmuls to XNNPACK (~20 GFLOP/s on 2 cores); autograd's transposed products
 * (dy W^T, x^T dy) take a scalar path about ten times slower. Transposing explicitly
 * first keeps every product on the fast path; a transpose costs one copy.
 */
import * as tf from '@tensorflow/tfjs';

const denseOp = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2), tf.sum(dy2, 0)];
    },
  };
});

export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return denseOp(x, w, b) as tf.Tensor2D;
}
