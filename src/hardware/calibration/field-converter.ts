/**
 * One calibration field map as a pair of functions. Sensor maps go raw -> SI (forward) and the
 * virtual device needs SI -> raw (inverse); command maps go SI -> raw and back. So every map
 * must be invertible, which is checked here, once, when the converter is built.
 */
import type { FieldMap } from '../../config/calibration-schema.js';

export interface FieldConverter {
  forward(x: number): number;
  inverse(y: number): number;
}

/** Derivative samples used to decide whether a polynomial is monotonic on its domain. */
const MONOTONIC_SAMPLES = 2048;
/** Root-finding iterations; bisection alone converges to double precision well within this. */
const MAX_ITERATIONS = 200;

/**
 * The converter for `map`. linear: exact both ways. table: piecewise linear, clamped at the
 * ends, inverted by interpolating on its monotonic y. polynomial: Horner forward; inverse by
 * safeguarded Newton within the domain, clamped to the domain ends. Throws if a polynomial is
 * not monotonic on its domain (it would have no inverse there). NaN maps to NaN.
 */
export function fieldConverter(map: FieldMap): FieldConverter {
  switch (map.type) {
    case 'linear':
      return linear(map.scale, map.offset);
    case 'table':
      return table(map.points);
    case 'polynomial':
      return polynomial(map.coefficients, map.domain);
  }
}

function linear(scale: number, offset: number): FieldConverter {
  return {
    forward: (x) => scale * x + offset,
    inverse: (y) => (y - offset) / scale,
  };
}

function table(points: readonly (readonly [number, number])[]): FieldConverter {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  // The inverse interpolates on y, which must increase for the segment search: flip a
  // decreasing table (negate y) and negate the query instead.
  const decreasing = ys[ys.length - 1] < ys[0];
  const ysUp = decreasing ? ys.map((y) => -y) : ys;
  return {
    forward: (x) => interpolate(xs, ys, x),
    inverse: (y) => interpolate(ysUp, xs, decreasing ? -y : y),
  };
}

/** Piecewise-linear `to` at `v` over strictly increasing `from`, clamped to the end values. */
function interpolate(from: readonly number[], to: readonly number[], v: number): number {
  if (Number.isNaN(v)) return NaN;
  const last = from.length - 1;
  if (v <= from[0]) return to[0];
  if (v >= from[last]) return to[last];
  // Binary search for the segment [from[lo], from[lo + 1]] holding v.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (from[mid] <= v) lo = mid;
    else hi = mid;
  }
  const t = (v - from[lo]) / (from[hi] - from[lo]);
  return to[lo] + t * (to[hi] - to[lo]);
}

function horner(c: readonly number[], x: number): number {
  let y = 0;
  for (let i = c.length - 1; i >= 0; i--) y = y * x + c[i];
  return y;
}

function polynomial(coefficients: readonly number[], domain: readonly [number, number]): FieldConverter {
  const c = [...coefficients];
  const dc = c.slice(1).map((ci, i) => ci * (i + 1));
  // sum |c_i| |x|^i bounds the rounding error of Horner's rule at x (times a few ulps).
  const absC = c.map(Math.abs);
  const [lo, hi] = domain;
  const f = (x: number) => horner(c, x);
  const df = (x: number) => horner(dc, x);

  // Monotonic on the domain iff the derivative keeps one sign there; values within a hair of
  // zero (a double root, rounding) are allowed so that e.g. (x - 1)^3 is accepted.
  let minD = Infinity;
  let maxD = -Infinity;
  let minAt = lo;
  let maxAt = lo;
  for (let i = 0; i <= MONOTONIC_SAMPLES; i++) {
    const x = lo + ((hi - lo) * i) / MONOTONIC_SAMPLES;
    const d = df(x);
    if (d < minD) [minD, minAt] = [d, x];
    if (d > maxD) [maxD, maxAt] = [d, x];
  }
  const tolerance = 1e-9 * Math.max(Math.abs(minD), Math.abs(maxD));
  const fLo = f(lo);
  const fHi = f(hi);
  if (maxD > tolerance && minD < -tolerance)
    throw new Error(
      `polynomial is not monotonic on its domain [${lo}, ${hi}] (slope ${fmt(minD)} at x = ${fmt(minAt)}, ` +
        `${fmt(maxD)} at x = ${fmt(maxAt)}), so it has no inverse; narrow the domain or refit`,
    );
  if (!(fHi !== fLo))
    throw new Error(`polynomial is constant on its domain [${lo}, ${hi}], so it has no inverse`);
  const dir = fHi > fLo ? 1 : -1;

  return {
    forward: f,
    inverse: (y) => {
      if (Number.isNaN(y)) return NaN;
      // Out of the range f(domain): clamp to the domain end that comes closest.
      if (dir * (y - fLo) <= 0) return lo;
      if (dir * (y - fHi) >= 0) return hi;
      return solve(
        (x) => dir * (f(x) - y),
        (x) => dir * df(x),
        (x) => 4 * Number.EPSILON * (horner(absC, Math.abs(x)) + Math.abs(y)),
        lo,
        hi,
      );
    },
  };
}

/**
 * The root of increasing g on [a, b] with g(a) < 0 < g(b): Newton steps from the secant
 * guess, with bisection whenever a step leaves the bracket or the bracket stops halving, so
 * it converges like Newton near the root and never worse than bisection (as rtsafe does).
 * `noise(x)` is the rounding level of g at x: a residual below it is as good as zero.
 */
function solve(
  g: (x: number) => number,
  dg: (x: number) => number,
  noise: (x: number) => number,
  a: number,
  b: number,
): number {
  const ga = g(a);
  const gb = g(b);
  let x = a - (ga * (b - a)) / (gb - ga);
  if (!(x > a && x < b)) x = 0.5 * (a + b);
  let width = b - a;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const gx = g(x);
    if (Math.abs(gx) <= noise(x)) return x;
    if (gx < 0) a = x;
    else b = x;
    if (b - a <= 2 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b))) return x;
    const halved = b - a <= 0.5 * width;
    width = b - a;
    let next = x - gx / dg(x);
    if (!(next > a && next < b) || !halved) next = 0.5 * (a + b);
    if (next === x) return x;
    x = next;
  }
  return x;
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
