import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldMapSchema } from '../../config/calibration-schema.js';
import { fieldConverter } from './field-converter.js';

/** Through the schema, so the maps are exactly what a calibration file yields. */
function converter(map: unknown) {
  return fieldConverter(FieldMapSchema.parse(map));
}

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual} (tol ${tol})`);
}

test('linear: y = scale x + offset, inverted exactly', () => {
  const c = converter({ type: 'linear', scale: -0.25, offset: 3 });
  assert.equal(c.forward(4), 2);
  assert.equal(c.inverse(2), 4);
  for (const x of [-1e6, -3.5, 0, 0.1, 12345])
    close(c.inverse(c.forward(x)), x, 1e-12 * Math.max(1, Math.abs(x)), `x=${x}`);
  assert.equal(converter({ type: 'linear', scale: 2 }).forward(1), 2, 'offset defaults to 0');
  assert.ok(Number.isNaN(c.forward(NaN)));
});

test('table: piecewise linear, clamped at both ends, inverted on its y', () => {
  const c = converter({
    type: 'table',
    points: [
      [-3000, -10],
      [-200, -0.5],
      [0, 0],
      [200, 0.5],
      [3000, 10],
    ],
  });
  assert.equal(c.forward(100), 0.25);
  close(c.forward(1600), 5.25, 1e-12);
  assert.equal(c.forward(-200), -0.5);
  assert.equal(c.forward(5000), 10, 'clamped above');
  assert.equal(c.forward(-1e9), -10, 'clamped below');
  assert.equal(c.forward(Infinity), 10);
  assert.equal(c.inverse(0.25), 100);
  assert.equal(c.inverse(50), 3000, 'inverse clamps too');
  assert.equal(c.inverse(-50), -3000);
  for (const x of [-2999, -1000, -200, -13, 0, 7, 199.5, 2500])
    close(c.inverse(c.forward(x)), x, 1e-9 * Math.max(1, Math.abs(x)), `x=${x}`);
  assert.ok(Number.isNaN(c.forward(NaN)) && Number.isNaN(c.inverse(NaN)));
});

test('table with decreasing y inverts too', () => {
  const c = converter({
    type: 'table',
    points: [
      [0, 5],
      [1, 3],
      [4, -3],
    ],
  });
  assert.equal(c.forward(0.5), 4);
  assert.equal(c.inverse(4), 0.5);
  assert.equal(c.inverse(0), 2.5);
  assert.equal(c.inverse(10), 0);
  assert.equal(c.inverse(-10), 4);
});

test('polynomial: Horner forward, inverse within the domain, clamped to its ends', () => {
  // 0.1 + 2x + 0.5x^3, increasing on [-2, 2]: f(-2) = -7.9, f(2) = 8.1.
  const c = converter({ type: 'polynomial', coefficients: [0.1, 2, 0, 0.5], domain: [-2, 2] });
  close(c.forward(1.5), 0.1 + 3 + 0.5 * 3.375, 1e-12);
  for (let i = 0; i <= 40; i++) {
    const x = -2 + i * 0.1;
    close(c.inverse(c.forward(x)), x, 1e-12, `x=${x}`);
  }
  for (const y of [-7.9, -3.3, 0, 0.1, 4.2, 8.1]) close(c.forward(c.inverse(y)), y, 1e-12, `y=${y}`);
  assert.equal(c.inverse(100), 2, 'above f(domain): the high end');
  assert.equal(c.inverse(-100), -2, 'below f(domain): the low end');
  assert.ok(Number.isNaN(c.inverse(NaN)));
  // Forward is the polynomial itself, outside the domain too.
  assert.equal(c.forward(3), 0.1 + 6 + 13.5);
});

test('a decreasing polynomial, and one with a flat inflection ((x - 1)^3), invert', () => {
  const dec = converter({ type: 'polynomial', coefficients: [1, -3, 0.2], domain: [0, 5] });
  for (const x of [0, 0.3, 2.2, 4.99, 5]) close(dec.inverse(dec.forward(x)), x, 1e-12, `x=${x}`);
  assert.equal(dec.inverse(100), 0);
  assert.equal(dec.inverse(-100), 5);

  const cubic = converter({ type: 'polynomial', coefficients: [-1, 3, -3, 1], domain: [0, 3] });
  for (const x of [0, 0.5, 1.5, 2.9]) close(cubic.inverse(cubic.forward(x)), x, 1e-9, `x=${x}`);
  // At the flat point the inverse is ill-conditioned: a cube root of rounding noise.
  close(cubic.inverse(0), 1, 1e-4);
});

test('a polynomial that is not monotonic on its domain is rejected', () => {
  assert.throws(
    () => converter({ type: 'polynomial', coefficients: [0, 0, 1], domain: [-1, 1] }),
    /polynomial is not monotonic on its domain \[-1, 1\]/,
  );
  // Monotonic only on part of the domain: sin-like cubic x - x^3 on [-0.5, 0.8] turns at 0.577.
  assert.throws(
    () => converter({ type: 'polynomial', coefficients: [0, 1, 0, -1], domain: [-0.5, 0.8] }),
    /not monotonic/,
  );
  // ...while on [-0.5, 0.5] it is fine.
  assert.doesNotThrow(() =>
    converter({ type: 'polynomial', coefficients: [0, 1, 0, -1], domain: [-0.5, 0.5] }),
  );
  assert.throws(() => converter({ type: 'polynomial', coefficients: [2, 0], domain: [0, 1] }), /constant/);
});
