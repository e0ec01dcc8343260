import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wrapAngle } from './angles.js';

test('wrapAngle maps into [-pi, pi) and preserves the direction', () => {
  for (const [input, expected] of [
    [0, 0],
    [Math.PI, -Math.PI],
    [-Math.PI, -Math.PI],
    [(3 * Math.PI) / 2, -Math.PI / 2],
    [(-3 * Math.PI) / 2, Math.PI / 2],
    [10 * Math.PI + 0.25, 0.25],
  ] as const) {
    const w = wrapAngle(input);
    assert.ok(w >= -Math.PI && w < Math.PI, `${input} -> ${w}`);
    assert.ok(Math.abs(w - expected) < 1e-9, `${input} -> ${w}, expected ${expected}`);
  }
});
