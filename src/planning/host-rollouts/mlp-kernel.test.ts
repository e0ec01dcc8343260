import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../math/rng.js';
import { ACTIVATION_CODES, MlpKernel, roundUp } from './mlp-kernel.js';

const rng = new Rng(1);
const randoms = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => rng.uniformIn(-scale, scale));

const reference: Record<string, (x: number) => number> = {
  none: (x) => x,
  relu: (x) => Math.max(x, 0),
  swish: (x) => x / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

test('dense matches a plain matmul for sizes that are not multiples of 4 or 16, with every activation', () => {
  const kernel = new MlpKernel();
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [2, 3, 5],
    [7, 5, 13],
    [5, 6, 24],
    [33, 17, 40],
    [4, 9, 7],
    [3, 64, 50],
  ];
  for (const [rows, inDim, fanOut] of shapes) {
    for (const act of ['none', 'relu', 'swish', 'tanh'] as const) {
      const out = roundUp(fanOut, 8);
      const layer = { w: randoms(inDim * fanOut), b: randoms(fanOut), fanIn: inDim, fanOut };
      const xs = randoms(rows * inDim, 2);
      const x = 64;
      const w = roundUp(x + 4 * xs.length, 64);
      const b = roundUp(w + 4 * inDim * out, 64);
      const y = roundUp(b + 4 * out, 64);
      kernel.reserve(y + 4 * (rows + 1) * out);
      kernel.f32.set(xs, x >> 2);
      kernel.packDense(w, b, layer, inDim, out);
      // A sentinel row after the output must survive: the row tail repeats, never overruns.
      kernel.f32.fill(NaN, y >> 2, (y >> 2) + (rows + 1) * out);
      kernel.run.dense(x, w, b, y, rows, inDim, out, ACTIVATION_CODES[act]);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < out; j++) {
          let z = j < fanOut ? layer.b[j] : 0;
          for (let i = 0; i < inDim && j < fanOut; i++) z += xs[r * inDim + i] * layer.w[i * fanOut + j];
          const want = reference[act](z);
          const got = kernel.f32[(y >> 2) + r * out + j];
          assert.ok(
            Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)),
            `${rows}x${inDim}x${fanOut} ${act} [${r}, ${j}]: ${got} vs ${want}`,
          );
        }
      }
      assert.ok(
        Number.isNaN(kernel.f32[(y >> 2) + rows * out]),
        `${rows}x${inDim}x${fanOut}: wrote past the end`,
      );
    }
  }
});

test('swish and tanh are accurate to ~1e-6 relative in float32; relu exact; NaN propagates', () => {
  const kernel = new MlpKernel();
  const n = 1 << 16;
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++)
    xs[i] = i < 64 ? [1e-6, -1e-4, 0.3, -0.62, 0.63, 40, -80, 0][i % 8] : rng.uniformIn(-30, 30);
  xs[100] = NaN;
  kernel.reserve(64 + 4 * n);
  for (const act of ['relu', 'swish', 'tanh'] as const) {
    kernel.f32.set(xs, 16);
    kernel.run.activate(64, n, ACTIVATION_CODES[act]);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const got = kernel.f32[16 + i];
      if (Number.isNaN(xs[i])) {
        assert.ok(Number.isNaN(got), `${act}(NaN) = ${got}`);
        continue;
      }
      const want = reference[act](xs[i]);
      worst = Math.max(worst, Math.abs(got - want) / Math.max(Math.abs(want), 1e-30));
    }
    assert.ok(worst < 1e-6, `${act}: max relative error ${worst}`);
  }
});

test('normals: mean 0, variance 1, Gaussian kurtosis, uncorrelated pairs', () => {
  const kernel = new MlpKernel();
  const n = 1 << 18;
  kernel.reserve(64 + 4 * n);
  const source = new Rng(7);
  for (let i = 0; i < n; i++) kernel.u32[16 + i] = source.nextUint32();
  kernel.run.normals(64, n);
  let s1 = 0;
  let s2 = 0;
  let s4 = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    const z = kernel.f32[16 + i];
    s1 += z;
    s2 += z * z;
    s4 += z ** 4;
  }
  // Box-Muller pairs are lanes i of consecutive vectors: their product must average 0.
  for (let i = 0; i < n; i += 8)
    for (let l = 0; l < 4; l++) cross += kernel.f32[16 + i + l] * kernel.f32[20 + i + l];
  // Standard errors: mean 1/sqrt(n) = 0.002, variance sqrt(2/n) = 0.0028, kurtosis sqrt(96/n) = 0.019.
  assert.ok(Math.abs(s1 / n) < 0.01, `mean ${s1 / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.014, `variance ${s2 / n}`);
  assert.ok(Math.abs(s4 / n - 3) < 0.1, `kurtosis ${s4 / n}`);
  assert.ok(Math.abs(cross / (n / 2)) < 0.014, `pair correlation ${cross / (n / 2)}`);
});

test('heads: soft-bounded sampling, expectation accumulation and wrapped advance match a reference', () => {
  const kernel = new MlpKernel();
  const S = 3;
  const s4 = 4;
  const rows = 5;
  const width = 8;
  const at = {
    raw: 64,
    bounds: 512,
    noise: 640,
    mask: 768,
    sum: 1024,
    variance: 1280,
    state: 1536,
    wrap: 1792,
    index: 1856,
  };
  kernel.reserve(4096);
  const f = kernel.f32;
  const raw = randoms(rows * width, 3);
  const max = [0.5, 0.2, -1];
  const min = [-10, -4, -6];
  const logStd = [0.1, -0.5, 0.3];
  f.set(raw, at.raw >> 2);
  for (let j = 0; j < S; j++) {
    f[(at.bounds >> 2) + j] = max[j];
    f[(at.bounds >> 2) + s4 + j] = Math.exp(max[j] - min[j]);
    f[(at.bounds >> 2) + 2 * s4 + j] = Math.exp((min[j] + 2 * logStd[j]) / 2);
    kernel.i32[(at.mask >> 2) + j] = -1;
  }
  const z = randoms(rows * S + 4);
  f.set(z, at.noise >> 2);
  const softplus = (u: number) => Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
  const sigma = (r: number, j: number) => {
    const upper = max[j] - softplus(max[j] - raw[r * width + s4 + j]);
    const lv = min[j] + softplus(upper - min[j]) + 2 * logStd[j];
    return Math.exp(lv / 2);
  };
  kernel.run.accumulate(at.raw, 4 * width, rows, s4, at.bounds, at.sum, at.variance, 1);
  kernel.run.accumulate(at.raw, 4 * width, rows, s4, at.bounds, at.sum, at.variance, 0);
  kernel.run.finish(at.sum, at.variance, rows, s4, 0.5, at.noise, S, at.mask);
  kernel.run.sample(at.raw, 4 * width, rows, s4, at.bounds, at.noise, S, at.mask);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < S; j++) {
      const want = raw[r * width + j] + sigma(r, j) * z[r * S + j];
      const close = (got: number, what: string) =>
        assert.ok(
          Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)),
          `${what} [${r}, ${j}]: ${got} vs ${want}`,
        );
      close(f[(at.raw >> 2) + r * width + j], 'sample');
      // Two identical members: the expectation is the member's mean and variance.
      close(f[(at.sum >> 2) + r * s4 + j], 'expectation');
    }
    assert.equal(f[(at.raw >> 2) + r * width + 3], raw[r * width + 3], 'padding lane got noise');
  }
  // advance: rows taken through an index, angle entry 1 wrapped into [-pi, pi).
  f[(at.wrap >> 2) + 1] = 2 * Math.PI;
  const start = randoms(rows * s4, 4);
  f.set(start, at.state >> 2);
  const index = [4, 0, 3, 1, 2];
  kernel.i32.set(index, at.index >> 2);
  kernel.run.advance(at.state, at.raw, 4 * width, rows, s4, at.wrap, at.index);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < S; j++) {
      let want = start[r * s4 + j] + f[(at.raw >> 2) + index[r] * width + j];
      if (j === 1) want -= 2 * Math.PI * Math.floor((want + Math.PI) / (2 * Math.PI));
      const got = f[(at.state >> 2) + r * s4 + j];
      assert.ok(Math.abs(got - want) < 1e-5, `advance [${r}, ${j}]: ${got} vs ${want}`);
    }
  }
});

test('features: plain entries, sin and cos of angles (any range), the candidate action, TS1 slots', () => {
  const kernel = new MlpKernel();
  const s4 = 4;
  const rows = 7;
  const population = 3;
  const A = 2;
  const H = 5;
  const D = 2 + 2 * 2 + A; // plain [0, 3], angles [2, 1]
  const at = { state: 64, x: 512, layout: 1024, act: 1280, slots: 1536 };
  kernel.reserve(4096);
  const states = randoms(rows * s4, 12);
  states[1] = NaN;
  kernel.f32.set(states, at.state >> 2);
  kernel.i32.set([2, 0, 3, 2, 2, 1], at.layout >> 2);
  const actions = randoms(population * H * A);
  kernel.f32.set(actions, at.act >> 2);
  const slots = [3, 0, 6, 1, 5, 2, 4];
  kernel.i32.set(slots, at.slots >> 2);
  const t = 2;
  kernel.run.features(
    at.state,
    s4,
    rows,
    at.x,
    D,
    at.layout,
    at.act + 4 * t * A,
    4 * H * A,
    A,
    population,
    at.slots,
  );
  for (let r = 0; r < rows; r++) {
    const s = (j: number) => states[r * s4 + j];
    const c = r % population;
    const want = [
      s(0),
      s(3),
      Math.sin(s(2)),
      Math.sin(s(1)),
      Math.cos(s(2)),
      Math.cos(s(1)),
      actions[(c * H + t) * A],
      actions[(c * H + t) * A + 1],
    ];
    for (let k = 0; k < D; k++) {
      const got = kernel.f32[(at.x >> 2) + slots[r] * D + k];
      if (Number.isNaN(want[k])) assert.ok(Number.isNaN(got), `row ${r} feature ${k}: ${got}`);
      else
        assert.ok(
          Math.abs(got - want[k]) < 2e-7 * Math.max(1, Math.abs(s(2))),
          `row ${r} feature ${k}: ${got} vs ${want[k]}`,
        );
    }
  }
});
